from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "qiloop_web.ui"
    label = "ui"
    verbose_name = "Look and feel"

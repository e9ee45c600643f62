from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "qiloop_web.audits"
    label = "audits"
    verbose_name = "Clinical audit cycles"

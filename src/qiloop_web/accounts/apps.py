from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "qiloop_web.accounts"
    label = "accounts"
    verbose_name = "People and sign-in"

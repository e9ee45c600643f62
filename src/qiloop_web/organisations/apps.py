from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "qiloop_web.organisations"
    label = "organisations"
    verbose_name = "Organisations and roles"

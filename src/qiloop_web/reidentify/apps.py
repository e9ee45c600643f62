from django.apps import AppConfig


class ReidentifyConfig(AppConfig):
    name = "qiloop_web.reidentify"
    label = "reidentify"
    verbose_name = "NHS numbers on action lists (the practice's key held in the workbench)"

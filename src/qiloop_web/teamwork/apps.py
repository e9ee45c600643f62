from django.apps import AppConfig


class TeamworkConfig(AppConfig):
    name = "qiloop_web.teamwork"
    label = "teamwork"
    verbose_name = "Tasks for the whole team and protected QI time"

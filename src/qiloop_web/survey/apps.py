from django.apps import AppConfig


class SurveyConfig(AppConfig):
    name = "qiloop_web.survey"
    label = "survey"
    verbose_name = "The staff QI survey"

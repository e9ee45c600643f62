from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "qiloop_web.learning"
    label = "learning"
    verbose_name = "Learning from events"

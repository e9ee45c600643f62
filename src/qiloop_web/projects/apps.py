from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "qiloop_web.projects"
    label = "projects"
    verbose_name = "QI projects: aims, measures, driver diagrams, PDSA cycles"

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "qiloop_web.dashboard"
    label = "dashboard"
    verbose_name = "Dashboards, measure pages and network views"

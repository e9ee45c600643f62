from django.urls import path

from qiloop_web.audit import views

app_name = "audit"

urlpatterns = [
    path("organisations/<str:code>/audit/", views.organisation_log, name="organisation-log"),
]

from django.urls import include, path

from qiloop_web.organisations.views import home

urlpatterns = [
    path("", home, name="home"),
    path("", include("qiloop_web.accounts.urls")),
    path("", include("qiloop_web.organisations.urls")),
    path("", include("qiloop_web.audit.urls")),
    path("", include("qiloop_web.dashboard.urls")),
    path("", include("qiloop_web.projects.urls")),
    path("", include("qiloop_web.teamwork.urls")),
    path("", include("qiloop_web.reidentify.urls")),
    path("", include("qiloop_web.learning.urls")),
    path("", include("qiloop_web.survey.urls")),
    path("", include("qiloop_web.audits.urls")),
]

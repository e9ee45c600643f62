from django.urls import path

from qiloop_web.survey import views

app_name = "survey"

urlpatterns = [
    path("organisations/<str:code>/surveys/", views.round_list, name="rounds"),
    path("organisations/<str:code>/surveys/new/", views.round_new, name="new"),
    path("organisations/<str:code>/surveys/<int:round_id>/", views.round_detail, name="round"),
    path("organisations/<str:code>/surveys/<int:round_id>/close/", views.round_close, name="close"),
    path("organisations/<str:code>/surveys/<int:round_id>/paper/", views.paper_entry, name="paper"),
    path("organisations/<str:code>/surveys/<int:round_id>/results/", views.round_results, name="results"),
    path("organisations/<str:code>/surveys/<int:round_id>/results.csv", views.round_results_csv, name="results-csv"),
    path("survey/<str:key>/", views.answer, name="answer"),
]

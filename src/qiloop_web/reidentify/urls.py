from django.urls import path

from qiloop_web.reidentify import views

app_name = "reidentify"

urlpatterns = [
    path("organisations/<str:code>/settings/key/", views.key_page, name="key"),
    path("organisations/<str:code>/settings/key/remove/", views.remove_key, name="remove-key"),
    path(
        "practices/<str:code>/measures/<str:measure_id>/action-list-with-nhs-numbers.csv",
        views.download,
        name="download",
    ),
]

from django.urls import path

from qiloop_web.teamwork import time_views, views

app_name = "teamwork"

urlpatterns = [
    path("my-tasks/", views.my_tasks, name="my-tasks"),
    path("practices/<str:code>/tasks/", views.task_list, name="tasks"),
    path("practices/<str:code>/tasks/new/", views.task_create, name="task-create"),
    path("practices/<str:code>/tasks/<int:task_id>/edit/", views.task_edit, name="task-edit"),
    path("practices/<str:code>/tasks/<int:task_id>/complete/", views.task_complete, name="task-complete"),
    path("practices/<str:code>/tasks/<int:task_id>/delete/", views.task_delete, name="task-delete"),
    path("practices/<str:code>/qi-time/", time_views.time_page, name="time"),
    path("practices/<str:code>/qi-time/new/", time_views.time_create, name="time-create"),
    path("practices/<str:code>/qi-time/<int:entry_id>/edit/", time_views.time_edit, name="time-edit"),
    path("practices/<str:code>/qi-time/<int:entry_id>/delete/", time_views.time_delete, name="time-delete"),
    path("practices/<str:code>/qi-time/totals.csv", time_views.time_csv, name="time-csv"),
]

from django.urls import path

from qiloop_web.learning import themes_views, views

app_name = "learning"

urlpatterns = [
    path("learning/report/", views.report_start, name="report-start"),
    path("practices/<str:code>/learning/", views.event_list, name="list"),
    path("practices/<str:code>/learning/new/", views.event_new, name="new"),
    path("practices/<str:code>/learning/themes/", themes_views.themes, name="themes"),
    path("practices/<str:code>/learning/themes/project/", themes_views.theme_project, name="theme-project"),
    path("practices/<str:code>/learning/shared/", themes_views.shared, name="shared"),
    path("networks/<str:code>/learning/", themes_views.network, name="network"),
    path("practices/<str:code>/learning/events.csv", views.events_csv, name="csv"),
    path("practices/<str:code>/learning/<int:event_id>/", views.event_detail, name="detail"),
    path("practices/<str:code>/learning/<int:event_id>/edit/<str:section>/", views.event_edit, name="edit"),
    path("practices/<str:code>/learning/<int:event_id>/actions/new/", views.action_new, name="action-new"),
    path("practices/<str:code>/learning/<int:event_id>/move/", views.event_move, name="move"),
    path("practices/<str:code>/learning/<int:event_id>/record/", views.event_record, name="record"),
    path("practices/<str:code>/learning/<int:event_id>/lfpse/", views.event_lfpse, name="lfpse"),
]

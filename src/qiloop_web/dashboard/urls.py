from django.urls import path

from qiloop_web.dashboard import data_views, phase_views, views

app_name = "dashboard"

urlpatterns = [
    path("practices/<str:code>/", views.practice_dashboard, name="practice"),
    path("practices/<str:code>/measures/<str:measure_id>/", views.measure_page, name="measure"),
    path("practices/<str:code>/measures/<str:measure_id>/action-list/", views.action_list_page, name="action-list"),
    path(
        "practices/<str:code>/measures/<str:measure_id>/action-list.csv", views.action_list_csv, name="action-list-csv"
    ),
    path("practices/<str:code>/measures/<str:measure_id>/phases/", phase_views.accept_phase, name="accept-phase"),
    path(
        "practices/<str:code>/measures/<str:measure_id>/phases/<int:phase_id>/undo/",
        phase_views.undo_phase,
        name="undo-phase",
    ),
    path("networks/<str:code>/", views.network_view, name="network"),
    path("networks/<str:code>/measures/<str:measure_id>/", views.network_measure, name="network-measure"),
    path("organisations/<str:code>/data/", data_views.data_page, name="data"),
    path("organisations/<str:code>/data/imports/<str:job_id>/", data_views.import_status, name="import-status"),
    path("charts/vega-interpreter.js", views.vega_interpreter, name="vega-interpreter"),
]

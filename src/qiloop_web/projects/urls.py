from django.urls import path

from qiloop_web.projects import diagram_views, pdsa_views, views

app_name = "projects"

P = "practices/<str:code>/projects/<int:project_id>/"

urlpatterns = [
    path("practices/<str:code>/projects/", views.project_list, name="list"),
    path("practices/<str:code>/projects/new/", views.new_project, name="new"),
    path(P, views.project_detail, name="detail"),
    path(P + "aim/", views.edit_aim, name="aim"),
    path(P + "status/", views.change_status, name="status"),
    path(P + "team/", views.team, name="team"),
    path(P + "team/<int:member_id>/remove/", views.remove_member, name="remove-member"),
    path(P + "measures/new/", views.add_measure, name="add-measure"),
    path(P + "measures/<int:measure_id>/", views.measure_page, name="measure"),
    path(P + "measures/<int:measure_id>/edit/", views.edit_measure, name="edit-measure"),
    path(P + "measures/<int:measure_id>/remove/", views.remove_measure, name="remove-measure"),
    path(P + "measures/<int:measure_id>/points/<int:point_id>/remove/", views.remove_point, name="remove-point"),
    path(P + "drivers/", diagram_views.drivers, name="drivers"),
    path(P + "drivers/<int:node_id>/edit/", diagram_views.edit_driver, name="edit-driver"),
    path(P + "drivers/<int:node_id>/move/", diagram_views.move_driver, name="move-driver"),
    path(P + "drivers/<int:node_id>/remove/", diagram_views.remove_driver, name="remove-driver"),
    path(P + "fishbone/", diagram_views.fishbone, name="fishbone"),
    path(P + "fishbone/<int:cause_id>/edit/", diagram_views.edit_cause, name="edit-cause"),
    path(P + "fishbone/<int:cause_id>/remove/", diagram_views.remove_cause, name="remove-cause"),
    path(P + "process-map/", diagram_views.process_map, name="process-map"),
    path(P + "process-map/<int:step_id>/edit/", diagram_views.edit_step, name="edit-step"),
    path(P + "process-map/<int:step_id>/move/", diagram_views.move_step, name="move-step"),
    path(P + "process-map/<int:step_id>/remove/", diagram_views.remove_step, name="remove-step"),
    path(P + "cycles/new/", pdsa_views.cycle_new, name="cycle-new"),
    path(P + "cycles/<int:cycle_id>/", pdsa_views.cycle_page, name="cycle"),
]

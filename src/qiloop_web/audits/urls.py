from django.urls import path

from qiloop_web.audits import views

app_name = "audits"

A = "practices/<str:code>/audits/<int:audit_id>/"

urlpatterns = [
    path("practices/<str:code>/audits/", views.audit_list, name="list"),
    path("practices/<str:code>/audits/new/", views.new_audit, name="new"),
    path(A, views.audit_detail, name="detail"),
    path(A + "plan/", views.edit_plan, name="plan"),
    path(A + "stage/", views.change_stage, name="stage"),
    path(A + "criteria/new/", views.add_criterion, name="criterion-new"),
    path(A + "criteria/<int:criterion_id>/remove/", views.remove_criterion, name="criterion-remove"),
    path(A + "collections/new/", views.new_collection, name="collection-new"),
    path(A + "changes/new/", views.new_change, name="change-new"),
    path(A + "re-audit/", views.plan_reaudit, name="reaudit"),
    path(A + "conclusion/", views.conclusion, name="conclusion"),
    path(A + "results/", views.results, name="results"),
    path(A + "report/", views.report, name="report"),
]

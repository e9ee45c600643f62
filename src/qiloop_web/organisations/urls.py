from django.urls import path

from qiloop_web.organisations import views

app_name = "organisations"

urlpatterns = [
    path("organisations/<str:code>/", views.organisation_detail, name="detail"),
    path("organisations/<str:code>/invite/", views.invite, name="invite"),
    path("organisations/<str:code>/members/<int:membership_id>/role/", views.change_role, name="change-role"),
    path("organisations/<str:code>/members/<int:membership_id>/remove/", views.remove_member, name="remove-member"),
    path(
        "organisations/<str:code>/invitations/<int:invitation_id>/cancel/",
        views.cancel_invitation,
        name="cancel-invitation",
    ),
    path("organisations/<str:code>/settings/", views.practice_settings, name="settings"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept-invitation"),
]

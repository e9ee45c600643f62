"""Organisation pages. Views stay short: they check a permission, call an action, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from qiloop_web.accounts.actions import record_sign_in
from qiloop_web.accounts.forms import NewPersonForm
from qiloop_web.organisations import actions
from qiloop_web.organisations.forms import ChangeRoleForm, InviteForm, PracticeSettingsForm
from qiloop_web.organisations.models import Invitation, Kind, Membership, Organisation
from qiloop_web.organisations.naming import practice_labels
from qiloop_web.organisations.permissions import organisation_permission_required, permissions_in
from qiloop_web.organisations.roles import Permission


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user=request.user).select_related("organisation__parent")
    return render(request, "organisations/home.html", {"memberships": memberships})


def _children(request: HttpRequest, organisation: Organisation) -> list[tuple[Organisation, str]]:
    children = list(organisation.children.order_by("code"))
    if organisation.kind != Kind.PCN:
        return [(child, child.name) for child in children]
    labels = practice_labels(request.user, children)
    return sorted(((child, labels[child.code]) for child in children), key=lambda pair: pair[1])


@organisation_permission_required(Permission.VIEW_ORGANISATION)
def organisation_detail(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    granted = permissions_in(request.user, organisation)
    invitations = (
        Invitation.objects.filter(organisation=organisation, accepted_at__isnull=True, cancelled_at__isnull=True)
        if Permission.INVITE_MEMBERS in granted
        else Invitation.objects.none()
    )
    context = {
        "organisation": organisation,
        "members": organisation.memberships.select_related("user").order_by("user__full_name", "user__email"),
        "children": _children(request, organisation),
        "invitations": invitations,
        "can": {permission.name: permission in granted for permission in Permission},
    }
    if Permission.INVITE_MEMBERS in granted:
        roles = actions.grantable_roles(by=request.user, organisation=organisation)  # type: ignore[arg-type]
        context["invite_form"] = InviteForm(roles=roles)
    return render(request, "organisations/detail.html", context)


def _send_invitation(request: HttpRequest, invitation: Invitation, token: str) -> None:
    link = request.build_absolute_uri(reverse("organisations:accept-invitation", args=[token]))
    inviter = request.user.display_name  # type: ignore[union-attr]
    send_mail(
        subject=f"You are invited to join {invitation.organisation.name} on qiloop",
        message=(
            f"{inviter} has invited you to join {invitation.organisation.name} on qiloop "
            f"as {invitation.get_role_display()}.\n\nAccept the invitation here (the link works once, "
            f"until {invitation.expires_at:%d %B %Y}):\n{link}\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.INVITE_MEMBERS)
def invite(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    roles = actions.grantable_roles(by=request.user, organisation=organisation)  # type: ignore[arg-type]
    form = InviteForm(request.POST if request.method == "POST" else None, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, token = actions.invite(
                organisation=organisation,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=request.user,  # type: ignore[arg-type]
            )
        except actions.OrganisationError as error:
            form.add_error("email", str(error))
        else:
            _send_invitation(request, invitation, token)
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("organisations:detail", code=organisation.code)
    return render(request, "organisations/invite.html", {"organisation": organisation, "form": form})


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.MANAGE_MEMBERS)
def change_role(request: HttpRequest, organisation: Organisation, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=membership_id, organisation=organisation
    )
    roles = actions.grantable_roles(by=request.user, organisation=organisation)  # type: ignore[arg-type]
    form = ChangeRoleForm(
        request.POST if request.method == "POST" else None, roles=roles, initial={"role": membership.role}
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.change_role(membership=membership, role=form.cleaned_data["role"], by=request.user)  # type: ignore[arg-type]
        except actions.OrganisationError as error:
            form.add_error("role", str(error))
        else:
            messages.success(request, f"{membership.user.display_name} is now {membership.get_role_display()}.")
            return redirect("organisations:detail", code=organisation.code)
    context = {"organisation": organisation, "membership": membership, "form": form}
    return render(request, "organisations/change_role.html", context)


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.MANAGE_MEMBERS)
def remove_member(request: HttpRequest, organisation: Organisation, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=membership_id, organisation=organisation
    )
    error = ""
    if request.method == "POST":
        try:
            actions.remove_membership(membership=membership, by=request.user)  # type: ignore[arg-type]
        except actions.OrganisationError as problem:
            error = str(problem)
        else:
            messages.success(request, f"{membership.user.display_name} has been removed from {organisation.name}.")
            return redirect("organisations:detail", code=organisation.code)
    context = {"organisation": organisation, "membership": membership, "error": error}
    return render(request, "organisations/remove_member.html", context)


@require_http_methods(["POST"])
@organisation_permission_required(Permission.INVITE_MEMBERS)
def cancel_invitation(request: HttpRequest, organisation: Organisation, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id, organisation=organisation)
    try:
        actions.cancel_invitation(invitation=invitation, by=request.user)  # type: ignore[arg-type]
    except actions.OrganisationError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, f"The invitation for {invitation.email} has been cancelled.")
    return redirect("organisations:detail", code=organisation.code)


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.MANAGE_PRACTICE_SETTINGS)
def practice_settings(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    if not organisation.is_practice:
        return HttpResponseNotFound("Only practices have practice settings.")
    form = PracticeSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={"share_name_with_network": organisation.share_name_with_network},
    )
    if request.method == "POST" and form.is_valid():
        actions.change_practice_settings(practice=organisation, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, "Practice settings saved.")
        return redirect("organisations:settings", code=organisation.code)
    return render(request, "organisations/settings.html", {"organisation": organisation, "form": form})


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = actions.usable_invitation(token)
    except actions.OrganisationError as unusable:
        return render(request, "organisations/invitation_unusable.html", {"reason": str(unusable)}, status=410)
    signed_in = request.user.is_authenticated
    form = (
        None if signed_in else NewPersonForm(request.POST if request.method == "POST" else None, email=invitation.email)
    )
    error = ""
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            user, membership = actions.accept_invitation(
                token=token,
                by=request.user if signed_in else None,  # type: ignore[arg-type]
                full_name=form.cleaned_data["full_name"] if form else "",
                password=form.cleaned_data["password1"] if form else None,
            )
        except actions.OrganisationError as problem:
            error = str(problem)
        else:
            if not signed_in:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                record_sign_in(by=user)
            messages.success(request, f"You have joined {membership.organisation.name}.")
            return redirect("organisations:detail", code=membership.organisation.code)
    context = {"invitation": invitation, "form": form, "error": error, "token": token}
    return render(request, "organisations/accept_invitation.html", context)

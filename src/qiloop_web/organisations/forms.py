from __future__ import annotations

from typing import Any

from django import forms

from qiloop_web.organisations.roles import Role


def _role_choices(roles: list[Role]) -> list[tuple[str, str]]:
    return [("", "Choose a role")] + [(role.value, role.label) for role in roles]


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        help_text="We will send the invitation link to this address. It works once and expires after 7 days.",
        error_messages={"required": "Enter the e-mail address of the person to invite"},
    )
    role = forms.ChoiceField(label="Role", error_messages={"required": "Choose the role they will have"})

    def __init__(self, *args: Any, roles: list[Role], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(roles)


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(label="New role", error_messages={"required": "Choose a role"})

    def __init__(self, *args: Any, roles: list[Role], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(roles)


class PracticeSettingsForm(forms.Form):
    share_name_with_network = forms.BooleanField(
        label="Share the practice's name with the network",
        required=False,
        help_text=(
            "When this is off, network and ICB leads see this practice as an anonymous label "
            "(such as 'Practice C') in network views. They never see patient-level data either way."
        ),
    )

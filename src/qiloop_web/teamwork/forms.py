"""Forms for tasks and QI time. Choices are limited to the practice's own people, projects and cycles."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from qiloop_web.accounts.models import User
from qiloop_web.organisations.models import Membership, Organisation
from qiloop_web.organisations.roles import Role
from qiloop_web.projects.models import PdsaCycle, Project
from qiloop_web.teamwork.actions import MAX_MINUTES_PER_ENTRY
from qiloop_web.teamwork.models import TaskStatus
from qiloop_web.ui.date_input import DayMonthYearField
from qiloop_web.ui.text_safety import TextSafetyMixin


def _date_field(label: str, what: str, **kwargs: Any) -> DayMonthYearField:
    return DayMonthYearField(label=label, error_messages={"required": f"Enter {what}"}, **kwargs)


class MemberChoiceField(forms.ModelChoiceField):
    """A person in the practice, shown with their role there."""

    def __init__(self, practice: Organisation, **kwargs: Any):
        self.roles = dict(Membership.objects.filter(organisation=practice).values_list("user_id", "role"))
        super().__init__(
            queryset=User.objects.filter(memberships__organisation=practice).order_by("full_name", "email"), **kwargs
        )

    def label_from_instance(self, obj: Any) -> str:
        role = self.roles.get(obj.pk)
        return f"{obj.display_name} ({Role(role).label})" if role else obj.display_name


def _project_field(practice: Organisation, label: str) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Project.objects.filter(practice=practice).order_by("title"),
        required=False,
        label=label,
        empty_label="None",
        error_messages={"invalid_choice": "Choose one of this practice's projects"},
    )


class TaskForm(TextSafetyMixin, forms.Form):
    title = forms.CharField(
        label="What needs doing",
        max_length=200,
        error_messages={
            "required": "Enter what needs doing",
            "max_length": "Keep what needs doing to 200 characters or fewer",
        },
    )
    status = forms.ChoiceField(label="Status", choices=TaskStatus.choices, initial=TaskStatus.TODO)
    notes = forms.CharField(label="Notes (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, practice: Organisation, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.practice = practice
        self.fields["owner"] = MemberChoiceField(
            practice,
            label="Who will do it",
            help_text="Anyone in the practice team, patient representatives included.",
            empty_label="Choose a person",
            error_messages={
                "required": "Choose who will do it",
                "invalid_choice": "Choose someone who is a member of this practice",
            },
        )
        self.fields["due_on"] = _date_field("Due date", "the due date", help_text="For example, 31 3 2027")
        self.fields["project"] = _project_field(practice, "Project (optional)")
        self.fields["pdsa_cycle"] = forms.ModelChoiceField(
            queryset=PdsaCycle.objects.filter(project__practice=practice).select_related("project"),
            required=False,
            label="PDSA cycle (optional)",
            empty_label="None",
            error_messages={"invalid_choice": "Choose a PDSA cycle of one of this practice's projects"},
        )
        self.fields["pdsa_cycle"].label_from_instance = lambda cycle: f"{cycle.project.title}: {cycle.title}"
        self.order_fields(["title", "owner", "due_on", "status", "project", "pdsa_cycle", "notes"])

    def clean_status(self) -> str:
        status = self.cleaned_data["status"]
        if status not in TaskStatus.values:
            raise forms.ValidationError("Choose to do, doing or done")
        return status

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        project, cycle = data.get("project"), data.get("pdsa_cycle")
        if project is not None and cycle is not None and cycle.project_id != project.pk:
            self.add_error("pdsa_cycle", "Choose a PDSA cycle of the chosen project, or no cycle")
        return data


class TimeEntryForm(TextSafetyMixin, forms.Form):
    minutes = forms.IntegerField(
        label="Minutes spent",
        help_text="For example, 45. An hour and a half is 90.",
        min_value=1,
        max_value=MAX_MINUTES_PER_ENTRY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": "Enter the minutes spent",
            "invalid": "Enter the minutes spent as a whole number, for example 45",
            "min_value": "Enter the minutes spent as a whole number greater than 0",
            "max_value": f"A day has {MAX_MINUTES_PER_ENTRY:,} minutes; enter {MAX_MINUTES_PER_ENTRY:,} or fewer",
        },
    )
    meeting = forms.CharField(
        label="Meeting (if not for a project)",
        help_text="For example, “Monthly QI huddle”.",
        required=False,
        max_length=200,
        error_messages={"max_length": "Keep the meeting's name to 200 characters or fewer"},
    )
    note = forms.CharField(label="Note (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, practice: Organisation, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["spent_on"] = _date_field("Date", "the date you spent the time", help_text="For example, 27 3 2026")
        self.fields["project"] = _project_field(practice, "Project")
        self.order_fields(["spent_on", "minutes", "project", "meeting", "note"])

    def clean_spent_on(self) -> date:
        spent_on = self.cleaned_data["spent_on"]
        if spent_on > timezone.localdate():
            raise forms.ValidationError("The date is in the future; record time once it has been spent")
        return spent_on

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "project" not in self.errors and not data.get("project") and not (data.get("meeting") or "").strip():
            self.add_error("project", "Choose the project the time was for, or name the meeting")
        return data


class TaskFilterForm(forms.Form):
    """The task list's filters (GET): unknown values are ignored rather than refused."""

    owner = forms.TypedChoiceField(label="Owner", required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label="Status", required=False)
    project = forms.TypedChoiceField(label="Project", required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, practice: Organisation, **kwargs: Any):
        super().__init__(*args, **kwargs)
        people = User.objects.filter(memberships__organisation=practice).order_by("full_name", "email")
        self.fields["owner"].choices = [("", "Anyone")] + [(str(p.pk), p.display_name) for p in people]
        self.fields["status"].choices = [("", "Not done"), ("all", "Any status"), *TaskStatus.choices]
        projects = Project.objects.filter(practice=practice).order_by("title")
        self.fields["project"].choices = [("", "Any project")] + [(str(p.pk), p.title) for p in projects]

    def filters(self) -> dict[str, Any]:
        """The valid filters as queryset lookups; an invalid one is dropped."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        lookups: dict[str, Any] = {}
        if data.get("owner"):
            lookups["owner_id"] = data["owner"]
        if data.get("project"):
            lookups["project_id"] = data["project"]
        status = data.get("status") or ""
        if status in TaskStatus.values:
            lookups["status"] = status
        return lookups

    @property
    def shows_open_only(self) -> bool:
        return not (getattr(self, "cleaned_data", {}).get("status") or "")

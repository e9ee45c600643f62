"""Every free-text form family refuses an NHS number (nothing saved, the error shown without the number) and
saves text that only warns once the person ticks the confirmation box (``qiloop_web.ui.text_safety``)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse
from projects_universe import build_project

from qiloop_web.projects.models import (
    DriverNode,
    FishboneCause,
    ManualPoint,
    PdsaCycle,
    ProcessStep,
    Project,
    ProjectMember,
)
from qiloop_web.teamwork.models import Task, TimeEntry
from qiloop_web.ui.text_safety import CONFIRM_FIELD

BLOCKED = "Ring back on 943 476 5919 today"  # a valid NHS number (the NHS Digital example)
WARNED = "Ask Mrs Smith first"  # a title and a name: saved only once confirmed
CODE = "A00001"


def typed(name: str, day: int, month: int, year: int) -> dict[str, str]:
    return {f"{name}_day": str(day), f"{name}_month": str(month), f"{name}_year": str(year)}


def project_url(name, qi, *more):
    return reverse(name, args=[CODE, qi.project.pk, *more])


# (form family, url, data with the free text in {}, model, field holding the text)
def cases(universe, qi):
    receptionist = universe.people["receptionist"]
    cycle = PdsaCycle.objects.create(project=qi.project, title="Plan me", change_idea=qi.change_idea)
    return {
        "new project": (reverse("projects:new", args=[CODE]), {"template": "", "title": "{}"}, Project, "title"),
        "aim": (
            project_url("projects:aim", qi),
            {"title": "DNAs", "what": "{}", "how_much": "from 8% to 4%", "by_when": "31 March 2030"},
            Project,
            "aim_what",
        ),
        "team role": (
            project_url("projects:team", qi),
            {"user": receptionist.pk, "role_in_project": "{}"},
            ProjectMember,
            "role_in_project",
        ),
        "driver diagram": (
            project_url("projects:drivers", qi),
            {"kind": "primary", "parent": "", "text": "{}"},
            DriverNode,
            "text",
        ),
        "fishbone": (project_url("projects:fishbone", qi), {"category": "people", "text": "{}"}, FishboneCause, "text"),
        "process map": (
            project_url("projects:process-map", qi),
            {"text": "Reception books", "owner": "", "pain_point": "{}"},
            ProcessStep,
            "pain_point",
        ),
        "measure point note": (
            project_url("projects:measure", qi, qi.manual.pk),
            {"date": "2026-11-02", "value": "12", "numerator": "", "denominator": "", "note": "{}"},
            ManualPoint,
            "note",
        ),
        "pasted points": (
            project_url("projects:measure", qi, qi.manual.pk),
            {"form": "many", "points": "2026-11-09, 7\n2026-11-16, 8, {}"},
            ManualPoint,
            "note",
        ),
        "new PDSA cycle": (
            project_url("projects:cycle-new", qi),
            {"title": "{}", "change_idea": qi.change_idea.pk},
            PdsaCycle,
            "title",
        ),
        "PDSA plan": (
            project_url("projects:cycle", qi, cycle.pk),
            {"question": "{}", "to": ""},
            PdsaCycle,
            "question",
        ),
        "task": (
            reverse("teamwork:task-create", args=[CODE]),
            {"title": "Send texts", "owner": receptionist.pk, "status": "todo", "notes": "{}"}
            | typed("due_on", 1, 2, 2027),
            Task,
            "notes",
        ),
        "QI time": (
            reverse("teamwork:time-create", args=[CODE]),
            {"minutes": "30", "meeting": "Huddle", "note": "{}"} | typed("spent_on", 4, 5, 2026),
            TimeEntry,
            "note",
        ),
    }


FAMILIES = [
    "new project",
    "aim",
    "team role",
    "driver diagram",
    "fishbone",
    "process map",
    "measure point note",
    "pasted points",
    "new PDSA cycle",
    "PDSA plan",
    "task",
    "QI time",
]


def fill(data: dict, value: str) -> dict:
    return {k: v.replace("{}", value) if isinstance(v, str) else v for k, v in data.items()}


def saved(model, field: str, marker: str) -> bool:
    return model.objects.filter(**{f"{field}__contains": marker}).exists()


def summary(response) -> str:
    html = response.content.decode()
    found = re.search(r'<div class="nhsuk-error-summary".*?</ul>', html, re.S)
    assert found, "no error summary"
    return unescape(re.sub(r"<[^>]+>", " ", found.group()))


@pytest.mark.parametrize("family", FAMILIES)
def test_a_blocked_value_is_refused_with_the_error_shown_and_nothing_saved(client, universe, family):
    qi = build_project(universe)
    url, data, model, field = cases(universe, qi)[family]
    client.force_login(universe.people["receptionist"])
    response = client.post(url, fill(data, BLOCKED) | {CONFIRM_FIELD: "yes"})  # confirming cannot save a block
    assert response.status_code in (200, 400), family
    errors = summary(response)
    expected = "at character 29 of the 2nd line" if family == "pasted points" else "at character 14 of the 1st line"
    assert f"there is an NHS number {expected}." in errors, errors
    assert "5919" not in errors and "943" not in errors  # the message never repeats the number
    assert f'name="{CONFIRM_FIELD}"' not in response.content.decode()  # nothing to confirm: it must go
    assert not saved(model, field, "5919")


@pytest.mark.parametrize("family", FAMILIES)
def test_a_warning_saves_only_after_the_person_confirms(client, universe, family):
    qi = build_project(universe)
    url, data, model, field = cases(universe, qi)[family]
    client.force_login(universe.people["receptionist"])
    first = client.post(url, fill(data, WARNED))
    assert first.status_code in (200, 400), family
    assert "there may be a title followed by a name at character" in summary(first)
    assert f'name="{CONFIRM_FIELD}"' in first.content.decode()
    assert not saved(model, field, "Mrs Smith")
    confirmed = client.post(url, fill(data, WARNED) | {CONFIRM_FIELD: "yes"})
    assert confirmed.status_code == 302, family
    assert saved(model, field, "Mrs Smith")


def test_plain_text_and_the_pasted_points_dates_save_without_a_question(client, universe):
    qi = build_project(universe)
    client.force_login(universe.people["receptionist"])
    url = project_url("projects:measure", qi, qi.manual.pk)
    # Past dates in the date column are the points' dates, not dates of birth.
    response = client.post(url, {"form": "many", "points": "02/11/2026, 40/50, half-day closure\n2026-11-09, 7"})
    assert response.status_code == 302
    assert ManualPoint.objects.filter(measure=qi.manual).count() == 3
    # ...but a date of birth in a note is asked about, naming the line.
    response = client.post(url, {"form": "many", "points": "2026-11-16, 7, born 01/02/1930"})
    assert "could be a date of birth at character 21 of the 1st line" in summary(response)
    assert ManualPoint.objects.filter(measure=qi.manual).count() == 3


def test_text_confirmed_once_is_not_asked_about_again_when_saved_unchanged(client, universe):
    qi = build_project(universe)
    cycle = PdsaCycle.objects.create(project=qi.project, title="Plan me", change_idea=qi.change_idea)
    client.force_login(universe.people["receptionist"])
    url = project_url("projects:cycle", qi, cycle.pk)
    assert client.post(url, {"question": WARNED, "to": ""}).status_code == 400
    assert client.post(url, {"question": WARNED, "to": "", CONFIRM_FIELD: "yes"}).status_code == 302
    # The plan saved again (another field changed): the confirmed question is not asked about again...
    assert client.post(url, {"question": WARNED, "who": "Reception", "to": ""}).status_code == 302
    # ...but new text that warns is, and a block is refused however often it comes back.
    assert client.post(url, {"question": WARNED, "who": "Mr Jones", "to": ""}).status_code == 400
    assert client.post(url, {"question": WARNED, "who": BLOCKED, "to": "", CONFIRM_FIELD: "yes"}).status_code == 400
    cycle.refresh_from_db()
    assert (cycle.question, cycle.who) == (WARNED, "Reception")


def test_every_workbench_form_with_free_text_has_the_check():
    """A new form with a free-text field cannot be added to these apps without the text-safety check."""
    import inspect

    from django import forms

    from qiloop_web.dashboard import forms as dashboard_forms
    from qiloop_web.organisations import forms as organisation_forms
    from qiloop_web.projects import forms as project_forms
    from qiloop_web.projects import pdsa_forms
    from qiloop_web.teamwork import forms as teamwork_forms
    from qiloop_web.ui.text_safety import TextSafetyMixin

    not_free_text = {"ImportForm"}  # a folder path on the server, checked against QILOOP_IMPORT_ROOT
    checked, unchecked = set(), set()
    for module in (project_forms, pdsa_forms, teamwork_forms, organisation_forms, dashboard_forms):
        for name, form in inspect.getmembers(module, inspect.isclass):
            if not issubclass(form, forms.Form) or form.__module__ != module.__name__ or name in not_free_text:
                continue
            free = [
                f for f in form.base_fields.values()
                if isinstance(f, forms.CharField) and not isinstance(f, forms.EmailField)
            ]  # fmt: skip
            if free:
                (checked if issubclass(form, TextSafetyMixin) else unchecked).add(name)
    assert unchecked == set()
    assert {"AimForm", "PlanForm", "TaskForm", "TimeEntryForm", "PointsForm", "StepForm"} <= checked

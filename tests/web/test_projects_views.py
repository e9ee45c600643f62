"""Project pages: each renders, forms validate with an error summary, deletes ask first, view-only people cannot write."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from projects_universe import PROJECT_URL_ARGS, build_project

from qiloop_web.audit.models import AuditEvent
from qiloop_web.projects.models import DriverNode, FishboneCause, ManualPoint, ProcessStep, Project, ProjectMember

CODE = "A00001"


@pytest.fixture
def qi(universe):
    return build_project(universe)


@pytest.fixture
def gp_client(client, universe):
    client.force_login(universe.people["gp"])
    return client


def url(name: str, qi=None, *more) -> str:
    if qi is None:
        return reverse(name, args=[CODE, *more])
    return reverse(name, args=[CODE, *PROJECT_URL_ARGS[name](qi), *more])


def text_of(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def error_summary(response) -> str:
    html = response.content.decode()
    assert 'class="nhsuk-error-summary"' in html, "no error summary on the page"
    return text_of(response)


# --- every page ----------------------------------------------------------------------------------------------


GET_PAGES = [name for name in PROJECT_URL_ARGS if not name.startswith(("projects:move-",))]


@pytest.mark.parametrize("name", GET_PAGES)
def test_every_project_page_renders_for_a_team_member(gp_client, qi, name):
    response = gp_client.get(url(name, qi))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1 and qi.project.title in html


def test_the_list_shows_status_aim_and_a_summary_of_the_evidence(gp_client, qi):
    page = text_of(gp_client.get(url("projects:list")))
    assert "Reduce missed appointments" in page and "Idea" in page
    assert "Aim set · 4 measures · 0 of 0 PDSA cycles done · team of 2" in page


def test_the_summary_page_has_aim_team_measures_and_the_drawn_driver_diagram(gp_client, qi):
    response = gp_client.get(url("projects:detail", qi))
    page = text_of(response)
    html = response.content.decode()
    assert qi.project.aim_what in page
    assert "Gp – lead" in page and "Patient Representative – patient voice" in page
    assert "Reminders sent" in page and "Entered by hand: 1 point" in page
    assert "projects/projects.css" in html  # the print and diagram styles
    # The diagram is nested lists: aim, then primaries, each with a list beneath it.
    tree = html[html.index('class="qiloop-tree"') :]
    assert tree.index(qi.primary.text) < tree.index(qi.change_idea.text)
    assert re.search(r"<li id=\"node-\d+\">\s*<p class=\"qiloop-tree__node qiloop-tree__node--primary\">", html)
    assert "Change the aim" in page and "Change status" in page


def test_a_network_lead_is_refused_every_project_page_and_sees_none_of_its_text(client, universe, qi):
    client.force_login(universe.people["network_qi_lead"])
    for name in ("projects:list", "projects:detail", "projects:drivers", "projects:fishbone", "projects:measure"):
        response = client.get(url(name) if name == "projects:list" else url(name, qi))
        assert response.status_code == 403, name
        assert qi.project.aim_what not in response.content.decode() and "Riverside" not in response.content.decode()


def test_patient_representatives_can_edit_but_see_no_patient_level_links(client, universe, qi):
    client.force_login(universe.people["patient_representative"])
    response = client.get(url("projects:detail", qi))
    assert "Change the aim" in text_of(response)
    assert "action-list" not in response.content.decode()
    assert client.get(url("projects:measure", qi)).status_code == 200


# --- new project ---------------------------------------------------------------------------------------------


def test_new_project_from_a_template(gp_client, universe):
    response = gp_client.post(url("projects:new"), {"template": "nsaid_over_65", "title": ""})
    project = Project.objects.get()
    assert response.status_code == 302 and response.url == url("projects:detail", None, project.pk)
    assert project.template_key == "nsaid_over_65" and project.measures.exists() and project.driver_nodes.exists()


def test_new_blank_project_needs_a_title(gp_client):
    response = gp_client.post(url("projects:new"), {"template": "", "title": ""})
    assert response.status_code == 200
    assert "Enter a title for the project, or choose a template" in error_summary(response)
    assert 'href="#id_title"' in response.content.decode()
    assert not Project.objects.exists()


def test_new_project_page_offers_every_template_as_a_labelled_radio(gp_client):
    html = gp_client.get(url("projects:new")).content.decode()
    for key in ("reduce_dna", "nsaid_over_65", "copd_reviews_mrc", "repeat_prescribing_turnaround", "continuity_frail"):
        assert f'value="{key}"' in html
    assert html.count('class="nhsuk-radios__input"') == html.count('class="nhsuk-label nhsuk-radios__label"') == 6


# --- aim and status ------------------------------------------------------------------------------------------


def test_the_aim_form_says_what_is_missing_beside_each_part(gp_client, qi):
    before = AuditEvent.objects.count()
    response = gp_client.post(
        url("projects:aim", qi), {"title": "DNA", "what": "DNAs", "how_much": "a lot", "by_when": ""}
    )
    summary = error_summary(response)
    assert "Say what you want to improve" in summary and "Say by how much" in summary and "Say by when" in summary
    html = response.content.decode()
    assert 'href="#id_what"' in html and 'href="#id_how_much"' in html and 'href="#id_by_when"' in html
    assert AuditEvent.objects.count() == before
    qi.project.refresh_from_db()
    assert qi.project.title == "Reduce missed appointments"


def test_the_aim_form_saves_a_specific_aim(gp_client, qi):
    deadline = timezone.localdate() + timedelta(days=400)
    data = {
        "title": "DNA",
        "what": "Reduce missed appointments",
        "how_much": "from 8% to 4%",
        "by_when": f"{deadline:%d %B %Y}",
    }
    response = gp_client.post(url("projects:aim", qi), data)
    assert response.status_code == 302
    qi.project.refresh_from_db()
    assert (qi.project.title, qi.project.aim_by) == ("DNA", deadline)


def test_closing_needs_a_reflection(gp_client, qi):
    gp_client.post(url("projects:status", qi), {"status": "active"})
    response = gp_client.post(url("projects:status", qi), {"status": "closed", "reflection": ""})
    assert "Write a closing reflection" in error_summary(response)
    qi.project.refresh_from_db()
    assert qi.project.status == "active"
    gp_client.post(url("projects:status", qi), {"status": "closed", "reflection": "It worked."})
    qi.project.refresh_from_db()
    assert (qi.project.status, qi.project.closing_reflection) == ("closed", "It worked.")
    assert "It worked." in text_of(gp_client.get(url("projects:detail", qi)))


# --- team ----------------------------------------------------------------------------------------------------


def test_add_someone_from_the_practice_to_the_team(gp_client, universe, qi):
    receptionist = universe.people["receptionist"]
    html = gp_client.get(url("projects:team", qi)).content.decode()
    assert "Receptionist (Receptionist / care navigator)" in html
    response = gp_client.post(url("projects:team", qi), {"user": receptionist.pk, "role_in_project": "member"})
    assert response.status_code == 302
    assert ProjectMember.objects.filter(project=qi.project, user=receptionist).exists()


def test_the_team_form_needs_a_person(gp_client, qi):
    response = gp_client.post(url("projects:team", qi), {"user": "", "role_in_project": "member"})
    assert "Choose someone from the practice" in error_summary(response)


# --- measures and points -------------------------------------------------------------------------------------


def test_add_a_manual_measure_and_its_points(gp_client, qi):
    response = gp_client.post(
        url("projects:add-measure", qi),
        {"role": "balancing", "library_measure_id": "", "title": "Complaints", "unit": ""},
    )
    measure = qi.project.measures.get(title="Complaints")
    measure_url = reverse("projects:measure", args=[CODE, qi.project.pk, measure.pk])
    assert response.url == measure_url
    bad = gp_client.post(measure_url, {"date": "2026-10-05", "numerator": "6", "denominator": "5"})
    assert "The numerator (6) is more than the denominator (5)" in error_summary(bad)
    assert gp_client.post(measure_url, {"date": "2026-10-05", "value": "3"}).status_code == 302
    again = gp_client.post(measure_url, {"date": "2026-10-05", "value": "4"})
    assert "There is already a point for 05/10/2026" in error_summary(again)
    nodate = gp_client.post(measure_url, {"date": "", "value": "4"})
    assert "Enter the date of the point" in error_summary(nodate)
    assert list(measure.points.values_list("value", flat=True)) == [3.0]


def test_a_manual_measure_needs_a_name(gp_client, qi):
    response = gp_client.post(
        url("projects:add-measure", qi), {"role": "process", "library_measure_id": "", "title": ""}
    )
    assert "Enter a name for the measure" in error_summary(response)


def test_a_library_measure_page_has_no_point_form(gp_client, qi):
    library = qi.project.measures.get(library_measure_id="dna_rate")
    response = gp_client.get(reverse("projects:measure", args=[CODE, qi.project.pk, library.pk]))
    assert "Add a point" not in text_of(response) and "From the practice's records" in text_of(response)


# --- confirmation before delete ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "model", "attr"),
    [
        ("projects:remove-driver", DriverNode, "primary"),
        ("projects:remove-cause", FishboneCause, "cause"),
        ("projects:remove-step", ProcessStep, "step"),
        ("projects:remove-point", ManualPoint, "point"),
    ],
)
def test_deleting_asks_first_then_deletes(gp_client, qi, name, model, attr):
    target = getattr(qi, attr)
    page = gp_client.get(url(name, qi))
    assert "This cannot be undone" in text_of(page) and "nhsuk-button--warning" in page.content.decode()
    assert model.objects.filter(pk=target.pk).exists()
    assert gp_client.post(url(name, qi)).status_code == 302
    assert not model.objects.filter(pk=target.pk).exists()


def test_deleting_a_driver_says_what_goes_with_it(gp_client, qi):
    page = text_of(gp_client.get(url("projects:remove-driver", qi)))
    for child in qi.primary.children.all():
        assert f"'{child.text}'" in page


def test_remove_member_asks_first(gp_client, qi):
    page = gp_client.get(url("projects:remove-member", qi))
    assert "Remove Patient Representative from the project team?" in text_of(page)
    assert gp_client.post(url("projects:remove-member", qi)).status_code == 302
    assert not qi.project.members.filter(role_in_project="patient voice").exists()


# --- driver diagram, fishbone, process map -------------------------------------------------------------------


def test_add_and_reorder_drivers(gp_client, qi):
    response = gp_client.post(url("projects:drivers", qi), {"kind": "secondary", "parent": "", "text": "Orphan"})
    assert "Choose the primary driver this secondary driver belongs to" in error_summary(response)
    gp_client.post(url("projects:drivers", qi), {"kind": "primary", "parent": "", "text": "New primary"})
    last = DriverNode.objects.get(text="New primary")
    gp_client.post(reverse("projects:move-driver", args=[CODE, qi.project.pk, last.pk]), {"direction": "up"})
    primaries = list(DriverNode.objects.filter(project=qi.project, parent=None).values_list("text", flat=True))
    assert primaries[-2] == "New primary"


def test_add_a_cause_and_a_step(gp_client, qi):
    missing = gp_client.post(url("projects:fishbone", qi), {"category": "", "text": "x"})
    assert "Choose a category for the cause" in error_summary(missing)
    gp_client.post(url("projects:fishbone", qi), {"category": "policies", "text": "Booking rules"})
    assert "Booking rules" in text_of(gp_client.get(url("projects:fishbone", qi)))
    gp_client.post(url("projects:process-map", qi), {"text": "GP reviews", "owner": "GP", "pain_point": "waits"})
    new = ProcessStep.objects.get(text="GP reviews")
    gp_client.post(reverse("projects:move-step", args=[CODE, qi.project.pk, new.pk]), {"direction": "up"})
    assert list(ProcessStep.objects.filter(project=qi.project).values_list("text", flat=True)) == [
        "GP reviews",
        "Patient books",
    ]


def test_edit_pages_change_the_text(gp_client, qi):
    gp_client.post(url("projects:edit-driver", qi), {"text": "Renamed driver"})
    gp_client.post(url("projects:edit-cause", qi), {"category": "people", "text": "Renamed cause"})
    gp_client.post(url("projects:edit-step", qi), {"text": "Renamed step", "owner": "", "pain_point": ""})
    assert DriverNode.objects.filter(text="Renamed driver").exists()
    assert FishboneCause.objects.filter(text="Renamed cause").exists()
    assert ProcessStep.objects.filter(text="Renamed step").exists()
    empty = gp_client.post(url("projects:edit-driver", qi), {"text": ""})
    assert "Enter the text" in error_summary(empty)


# --- refused writes ------------------------------------------------------------------------------------------

POSTS = [
    ("projects:team", {"role_in_project": "member"}),
    ("projects:drivers", {"kind": "primary", "parent": "", "text": "Sneaky"}),
    ("projects:fishbone", {"category": "people", "text": "Sneaky"}),
    ("projects:process-map", {"text": "Sneaky"}),
    ("projects:measure", {"date": "2026-10-06", "value": "1"}),
    ("projects:aim", {"title": "Sneaky", "what": "a b", "how_much": "5", "by_when": "2030-01-01"}),
    ("projects:status", {"status": "closed", "reflection": "x"}),
    ("projects:remove-driver", {}),
    ("projects:move-step", {"direction": "up"}),
]


@pytest.mark.parametrize("person", ["network_qi_lead", "other_gp", "icb_analyst"])
def test_people_who_may_not_edit_change_nothing(client, universe, qi, person):
    client.force_login(universe.people[person])
    before = (AuditEvent.objects.count(), DriverNode.objects.count(), FishboneCause.objects.count())
    for name, data in POSTS:
        data = dict(data, user=universe.people["receptionist"].pk) if name == "projects:team" else data
        assert client.post(url(name, qi), data).status_code == 403, name
    assert (AuditEvent.objects.count(), DriverNode.objects.count(), FishboneCause.objects.count()) == before
    assert ProcessStep.objects.count() == 1 and ManualPoint.objects.count() == 1
    qi.project.refresh_from_db()
    assert (qi.project.title, qi.project.status) == ("Reduce missed appointments", "idea")


def test_a_project_is_not_found_under_another_practice(client, universe, qi):
    client.force_login(universe.people["other_gp"])
    assert client.get(reverse("projects:detail", args=["A00002", qi.project.pk])).status_code == 404
    assert (
        client.post(
            reverse("projects:fishbone", args=["A00002", qi.project.pk]), {"category": "people", "text": "x"}
        ).status_code
        == 404
    )


def test_paste_several_points_with_errors_per_line(gp_client, qi):
    measure_url = url("projects:measure", qi)
    bad = gp_client.post(measure_url, {"form": "many", "points": "2026-09-07, 3\n2026-09-14, x"})
    summary = error_summary(bad)
    assert "Line 2: The value must be a number" in summary and 'href="#id_points"' in bad.content.decode()
    assert qi.manual.points.count() == 1
    good = gp_client.post(measure_url, {"form": "many", "points": "2026-09-07, 3\n2026-09-14, 4"})
    assert good.status_code == 302 and qi.manual.points.count() == 3


def test_library_measures_are_offered_by_topic(gp_client, qi):
    html = gp_client.get(url("projects:add-measure", qi)).content.decode()
    assert '<optgroup label="Access and continuity">' in html
    group = html.split('<optgroup label="Access and continuity">', 1)[1].split("</optgroup>", 1)[0]
    assert 'value="dna_rate"' in group
    again = gp_client.post(url("projects:add-measure", qi), {"role": "outcome", "library_measure_id": "dna_rate"})
    assert "The project already has the library measure" in error_summary(again)
    response = gp_client.post(
        url("projects:add-measure", qi), {"role": "process", "library_measure_id": "continuity_upc"}
    )
    assert response.status_code == 302
    assert qi.project.measures.filter(library_measure_id="continuity_upc").count() == 1


def test_the_practice_dashboard_and_page_link_to_the_projects(gp_client, universe):
    projects = f'href="{url("projects:list")}"'
    assert projects in gp_client.get(reverse("dashboard:practice", args=[CODE])).content.decode()
    assert projects in gp_client.get(reverse("organisations:detail", args=[CODE])).content.decode()


def test_the_summary_lists_the_projects_open_tasks(gp_client, universe, qi):
    from qiloop_web.teamwork.models import Task

    Task.objects.create(
        practice=universe.practice,
        project=qi.project,
        title="Draft the SMS text",
        owner=universe.people["receptionist"],
        created_by=universe.people["gp"],
        due_on=timezone.localdate() + timedelta(days=7),
    )
    page = text_of(gp_client.get(url("projects:detail", qi)))
    assert "Draft the SMS text: Receptionist" in page and "Add a task for this project" in page


def test_a_library_measures_exact_monthly_counts_are_not_reachable_by_a_network_lead(client, universe, qi, measured):
    """Finding 2 of issue 14: a project's library measure charted the practice's exact monthly counts (pincer_a is
    suppressed in the network view) to the network QI lead, for a practice that does not share its name."""
    from qiloop_web.projects import actions

    measure = actions.add_measure(
        project=qi.project, role="outcome", library_measure_id="pincer_a", by=qi.project.created_by
    )
    pages = [url("projects:detail", qi), reverse("projects:measure", args=[CODE, qi.project.pk, measure.pk])]
    client.force_login(universe.people["gp"])
    assert [client.get(page).status_code for page in pages] == [200, 200]
    client.force_login(universe.people["network_qi_lead"])
    assert not universe.practice.share_name_with_network
    for page in pages:
        response = client.get(page)
        assert response.status_code == 403 and "Riverside" not in response.content.decode()

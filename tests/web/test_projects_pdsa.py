"""PDSA cycles: the actions and their transitions, the cycle pages, the charts with markers and phases, the
verdict on the latest change, and progress read from the evidence."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from qiloop.improvement.pdsa import TransitionError
from qiloop_web.audit.models import AuditEvent
from qiloop_web.projects import charts
from qiloop_web.projects.models import DriverNode, ManualPoint, PdsaCycle, Project, ProjectMeasure
from qiloop_web.projects.pdsa_actions import PdsaError, create_cycle, decide, update_cycle

PLAN = {
    "question": "Will a text reminder two days before cut missed appointments?",
    "prediction": "Missed appointments fall from 10% to 8%.",
    "who": "Reception sends the texts; the practice manager counts.",
    "when": "January",
    "where": "Morning GP clinics",
    "data_to_collect": "Missed appointments per week",
}
# 18 months: a baseline of 12 alternating 10 and 12, then 6 months at 8 (lower is better).
MONTHS = [dt.date(2025 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(1, 19)]
IMPROVING = [10.0, 12.0] * 6 + [8.0] * 6
FLAT = [10.0, 12.0] * 9
CHANGE_ON = dt.date(2026, 1, 1)  # the 13th month


def make_project(practice, values=IMPROVING, *, title="Fewer missed appointments") -> Project:
    project = Project.objects.create(
        practice=practice,
        title=title,
        aim_what="Reduce missed GP appointments for adults",
        aim_how_much="from 11% to 8%",
        aim_by=dt.date(2030, 3, 31),
        status="active",
    )
    primary = DriverNode.objects.create(project=project, kind="primary", text="Patients remember their appointment")
    DriverNode.objects.create(project=project, parent=primary, kind="change_idea", text="Text reminder two days before")
    measure = ProjectMeasure.objects.create(
        project=project, role="outcome", title="Missed appointments", unit="%", low_is_good=True
    )
    for day, value in zip(MONTHS, values, strict=True):
        ManualPoint.objects.create(measure=measure, date=day, value=value)
    return project


def idea_of(project: Project) -> DriverNode:
    return project.driver_nodes.get(kind="change_idea")


def run_to_act(project: Project, by, *, starts_on=CHANGE_ON, title="Text reminders") -> PdsaCycle:
    cycle = create_cycle(project=project, title=title, change_idea=idea_of(project), by=by)
    update_cycle(cycle=cycle, fields=PLAN | {"starts_on": starts_on}, to="do", by=by)
    update_cycle(
        cycle=cycle, fields={"what_happened": "Texts went out", "observations": "Two bounced"}, to="study", by=by
    )
    update_cycle(cycle=cycle, fields={"results": "Fewer missed, as predicted"}, to="act", by=by)
    return cycle


@pytest.fixture
def project(universe):
    return make_project(universe.practice)


@pytest.fixture
def rep(universe):
    return universe.people["patient_representative"]


# --- actions and transitions --------------------------------------------------------------------------------


def test_a_cycle_runs_plan_do_study_act_and_adopting_starts_a_phase_and_the_next_cycle(project, rep):
    cycle = run_to_act(project, rep)
    assert cycle.stage == "act" and cycle.starts_on == CHANGE_ON
    cycle, following = decide(
        cycle=cycle, decision="adopt", next_step="Send to every clinic", new_phase=True, start_next=True, by=rep
    )
    cycle.refresh_from_db()
    assert (cycle.stage, cycle.decision, cycle.new_phase) == ("done", "adopt", True)
    assert cycle.ended_on is not None and cycle.ended_on >= CHANGE_ON
    assert following.previous == cycle and following.change_idea == cycle.change_idea and following.stage == "plan"
    events = list(
        AuditEvent.objects.filter(target_type="pdsa_cycle", target_id=str(cycle.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert events == ["pdsa.created", "pdsa.moved_on", "pdsa.moved_on", "pdsa.moved_on", "pdsa.decided"]
    moved = AuditEvent.objects.filter(target_id=str(cycle.pk), action="pdsa.moved_on").order_by("id").first()
    assert moved.organisation_code == "A00001" and moved.detail["from"] == "plan" and moved.detail["to"] == "do"
    assert "Text reminder" not in json.dumps(moved.detail)  # field names only, never the team's text
    assert AuditEvent.objects.filter(target_id=str(following.pk), action="pdsa.created").exists()


def test_no_study_without_a_do(project, rep):
    cycle = create_cycle(project=project, title="Text reminders", change_idea=idea_of(project), by=rep)
    update_cycle(cycle=cycle, fields=PLAN, by=rep)
    before = AuditEvent.objects.count()
    with pytest.raises(TransitionError, match="You can't study this cycle yet: it is at the Plan stage"):
        update_cycle(cycle=cycle, fields={"question": "Changed?"}, to="study", by=rep)
    cycle.refresh_from_db()
    assert cycle.stage == "plan" and cycle.question == PLAN["question"]  # nothing saved, not even the field
    assert AuditEvent.objects.count() == before


def test_moving_on_needs_the_stage_filled_in_and_says_what_is_missing(project, rep):
    cycle = create_cycle(project=project, title="Text reminders", change_idea=idea_of(project), by=rep)
    with pytest.raises(TransitionError, match=r"finish the plan .* first \(.*the prediction.* are empty\)"):
        update_cycle(cycle=cycle, fields={"question": "Will it work?"}, to="do", by=rep)
    cycle.refresh_from_db()
    assert cycle.question == "" and cycle.stage == "plan"
    update_cycle(cycle=cycle, fields=PLAN, to="do", by=rep)
    with pytest.raises(TransitionError, match="record what happened in the Do stage first"):
        update_cycle(cycle=cycle, fields={"observations": "Quiet"}, to="study", by=rep)
    assert PdsaCycle.objects.get(pk=cycle.pk).starts_on is not None  # the day it moved to Do


def test_only_the_current_stage_changes_and_a_finished_cycle_never(project, rep):
    cycle = create_cycle(project=project, title="Text reminders", change_idea=idea_of(project), by=rep)
    with pytest.raises(PdsaError, match="only its own fields can change, not: results"):
        update_cycle(cycle=cycle, fields={"results": "Early"}, by=rep)
    with pytest.raises(PdsaError, match="Record the decision"):
        update_cycle(cycle=cycle, fields={}, to="done", by=rep)
    with pytest.raises(PdsaError, match="'banana' is not a PDSA stage"):
        update_cycle(cycle=cycle, fields={}, to="banana", by=rep)
    cycle = run_to_act(project, rep, title="Second")
    decide(cycle=cycle, decision="adapt", next_step="Try at 3 days", by=rep)
    with pytest.raises(PdsaError, match="finished"):
        update_cycle(cycle=cycle, fields={"next_step": "Changed"}, by=rep)


@pytest.mark.parametrize(
    ("decision", "options", "message"),
    [
        ("adapt", {"new_phase": True}, "Only an adopted change starts a new phase"),
        ("abandon", {"start_next": True}, "An abandoned change ends its ramp"),
        ("maybe", {}, "Choose adopt, adapt or abandon"),
    ],
)
def test_decisions_that_break_a_rule_change_nothing(project, rep, decision, options, message):
    cycle = run_to_act(project, rep)
    before = AuditEvent.objects.count()
    with pytest.raises(PdsaError, match=message):
        decide(cycle=cycle, decision=decision, next_step="Next", by=rep, **options)
    cycle.refresh_from_db()
    assert (cycle.stage, cycle.decision, cycle.new_phase) == ("act", "", False)
    assert AuditEvent.objects.count() == before and project.cycles.count() == 1


def test_deciding_needs_the_act_stage_and_a_next_step(project, rep):
    cycle = create_cycle(project=project, title="Text reminders", change_idea=idea_of(project), by=rep)
    with pytest.raises(PdsaError, match="a decision is made in the act stage"):
        decide(cycle=cycle, decision="adopt", next_step="Go", by=rep)
    cycle = run_to_act(project, rep, title="Second")
    with pytest.raises(TransitionError, match=r"the next step is empty"):
        decide(cycle=cycle, decision="adopt", next_step="  ", by=rep)
    assert PdsaCycle.objects.get(pk=cycle.pk).stage == "act"


def test_ramps_chain_cycles_of_the_same_project_only(universe, project, rep):
    first = create_cycle(project=project, title="First", change_idea=idea_of(project), by=rep)
    with pytest.raises(TransitionError, match="still at the Plan stage"):
        create_cycle(project=project, title="Too soon", previous=first, by=rep)
    other = make_project(universe.practice, title="Another project")
    with pytest.raises(PdsaError, match="change idea from this project"):
        create_cycle(project=project, title="Wrong idea", change_idea=idea_of(other), by=rep)
    primary = project.driver_nodes.get(kind="primary")
    with pytest.raises(PdsaError, match="change idea from this project"):
        create_cycle(project=project, title="Not an idea", change_idea=primary, by=rep)
    with pytest.raises(PdsaError, match="Enter a title"):
        create_cycle(project=project, title="  ", change_idea=idea_of(project), by=rep)
    assert project.cycles.count() == 1


def test_a_closed_projects_cycles_no_longer_change(project, rep):
    cycle = run_to_act(project, rep)
    Project.objects.filter(pk=project.pk).update(status="closed", closing_reflection="Learnt a lot")
    cycle.refresh_from_db()
    with pytest.raises(PdsaError, match="This project is closed"):
        decide(cycle=cycle, decision="adopt", next_step="Go", by=rep)
    with pytest.raises(PdsaError, match="This project is closed"):
        update_cycle(cycle=cycle, fields={"next_step": "Go"}, by=rep)
    with pytest.raises(PdsaError, match="This project is closed"):
        create_cycle(project=cycle.project, title="More", change_idea=idea_of(project), by=rep)
    assert PdsaCycle.objects.get(pk=cycle.pk).stage == "act" and project.cycles.count() == 1


# --- pages ----------------------------------------------------------------------------------------------------


def cycle_url(cycle: PdsaCycle) -> str:
    return reverse("projects:cycle", args=[cycle.project.practice.code, cycle.project_id, cycle.pk])


def test_the_team_starts_and_runs_a_cycle_through_the_pages(client, project, rep):
    client.force_login(rep)  # patient representatives take part in projects
    new = reverse("projects:cycle-new", args=["A00001", project.pk])
    page = client.get(new)
    assert page.status_code == 200 and "Text reminder two days before" in page.text
    response = client.post(new, {"title": "Text reminders", "change_idea": idea_of(project).pk})
    cycle = project.cycles.get()
    assert response.status_code == 302 and response.url == cycle_url(cycle)
    response = client.post(
        cycle_url(cycle), PLAN | {"starts_on_day": "1", "starts_on_month": "1", "starts_on_year": "2026", "to": "do"}
    )
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.stage == "do" and cycle.starts_on == CHANGE_ON
    page = client.get(cycle_url(cycle))
    assert "Do: carry out the test" in page.text and PLAN["prediction"] in page.text  # the plan is kept on the page


def test_the_page_says_clearly_why_a_cycle_cannot_move_on(client, project, rep):
    client.force_login(rep)
    cycle = create_cycle(project=project, title="Text reminders", change_idea=idea_of(project), by=rep)
    response = client.post(cycle_url(cycle), {"question": "Will it work?", "to": "study"})
    assert response.status_code == 400
    assert "Error: " in response.text.split("</title>")[0]
    assert (
        "You can&#x27;t study this cycle yet" in response.text and "a cycle moves one stage at a time" in response.text
    )
    response = client.post(cycle_url(cycle), {"question": "Will it work?", "to": "do"})
    assert response.status_code == 400
    assert 'href="#id_prediction">Enter what you predict will happen' in response.text
    assert 'id="id_question"' in response.text and "Will it work?" in response.text  # what they typed stays
    cycle.refresh_from_db()
    assert (cycle.stage, cycle.question) == ("plan", "")


def test_a_start_date_that_is_not_a_date_is_refused_with_a_message(client, project, rep):
    client.force_login(rep)
    cycle = create_cycle(project=project, title="Text reminders", change_idea=idea_of(project), by=rep)
    data = PLAN | {"starts_on_day": "31", "starts_on_month": "", "starts_on_year": "2026", "to": "do"}
    response = client.post(cycle_url(cycle), data)
    assert response.status_code == 400 and "Date the test starts must include a month" in response.text
    data |= {"starts_on_month": "2"}
    assert "Date the test starts must be a real date" in client.post(cycle_url(cycle), data).text
    cycle.refresh_from_db()
    assert (cycle.stage, cycle.question, cycle.starts_on) == ("plan", "", None)


def test_the_study_stage_shows_the_measures_charts_beside_the_results(client, project, rep):
    client.force_login(rep)
    cycle = run_to_act(project, rep)
    cycle.stage = "study"  # look at the study page of a cycle that has its data
    cycle.save()
    page = client.get(cycle_url(cycle))
    assert "Study: the results against the prediction" in page.text
    assert 'id="project-measure-' in page.text and "Chart in words" in page.text
    assert "PDSA 1: Text reminders" in page.text
    assert "vega-embed.min.js" in page.text


def test_adopting_in_the_page_starts_the_next_cycle(client, project, rep):
    client.force_login(rep)
    cycle = run_to_act(project, rep)
    data = {"decision": "adopt", "next_step": "Every clinic", "new_phase": "on", "start_next": "on", "finish": "1"}
    response = client.post(cycle_url(cycle), data)
    following = project.cycles.exclude(pk=cycle.pk).get()
    assert response.status_code == 302 and response.url == cycle_url(following)
    page = client.get(cycle_url(following))
    assert "PDSA 1: Text reminders" in page.text and "(this cycle)" in page.text  # the ramp


def test_a_network_lead_can_neither_see_nor_change_a_cycle(client, universe, project, rep):
    cycle = create_cycle(project=project, title="Text reminders", change_idea=idea_of(project), by=rep)
    client.force_login(universe.people["network_qi_lead"])
    page = client.get(cycle_url(cycle))
    assert page.status_code == 403 and "Text reminders" not in page.text
    assert client.post(cycle_url(cycle), PLAN | {"to": "do"}).status_code == 403
    assert PdsaCycle.objects.get(pk=cycle.pk).stage == "plan"


def test_a_cycle_of_another_practice_is_not_found_through_this_one(client, universe, rep):
    theirs = make_project(universe.sibling_practice)
    cycle = create_cycle(project=theirs, title="Theirs", change_idea=idea_of(theirs), by=None)
    client.force_login(rep)
    assert client.get(reverse("projects:cycle", args=["A00001", theirs.pk, cycle.pk])).status_code == 404
    assert client.get(cycle_url(cycle)).status_code == 403


# --- charts, verdict and progress -------------------------------------------------------------------------------


def test_charts_show_each_started_cycle_as_a_marker_and_an_adopted_change_as_a_new_phase(project, rep):
    cycle = run_to_act(project, rep)
    decide(cycle=cycle, decision="adopt", next_step="Every clinic", new_phase=True, by=rep)
    (item,) = charts.project_charts(project)
    assert item.phases == 2
    spec = json.loads(item.chart.spec_json)
    text = json.dumps(spec)
    assert "PDSA 1: Text reminders" in text
    phase_starts = {r["phase_label"]: r["x"] for r in spec["data"]["values"] if r["phase_label"] == "Phase 2"}
    assert phase_starts and all(x.startswith("2026-") for x in phase_starts.values())
    first_in_phase_2 = min(r["x"] for r in spec["data"]["values"] if r["phase"] == 1)
    assert first_in_phase_2.startswith("2026-01-01")
    assert (
        "Marked on the chart (1 marker): PDSA 1: Text reminders, adopted, and a new phase starts here (2026-01-01)."
        in (item.chart.text)
    )
    assert "In 2 phases" in item.chart.text


def test_a_measure_page_shows_its_chart_with_the_projects_cycles(client, project, rep):
    run_to_act(project, rep)
    measure = project.measures.get()
    client.force_login(rep)
    page = client.get(reverse("projects:measure", args=["A00001", project.pk, measure.pk]))
    assert page.status_code == 200 and f'id="project-measure-{measure.pk}"' in page.text
    assert "PDSA 1: Text reminders, being tested" in page.text and "Improvement since the change" in page.text
    assert "vega-embed.min.js" in page.text


def test_a_cycle_still_being_tested_is_a_marker_without_a_new_phase(project, rep):
    cycle = run_to_act(project, rep)
    update_cycle(cycle=cycle, fields={"decision": "adopt", "new_phase": True}, by=rep)  # a draft, not decided
    (item,) = charts.project_charts(project)
    assert item.phases == 1 and "PDSA 1: Text reminders" in item.chart.spec_json
    assert "PDSA 1: Text reminders, being tested (2026-01-01)" in item.chart.text and "new phase" not in item.chart.text


@pytest.mark.parametrize(
    ("values", "kind", "words"),
    [
        (IMPROVING, "improvement", "real improvement"),
        (FLAT, "no_change_yet", "no change yet"),
    ],
)
def test_the_verdict_on_the_latest_change_is_in_plain_english(universe, rep, values, kind, words):
    project = make_project(universe.practice, values)
    run_to_act(project, rep)
    (item,) = charts.project_charts(project)
    assert item.verdict.kind == kind
    assert item.verdict.sentence.startswith("Since the change on 1 January 2026 (PDSA 1)")
    assert words in item.verdict.sentence and item.verdict.sentence in item.chart.text


def test_too_few_points_before_a_change_to_tell(project, rep):
    run_to_act(project, rep, starts_on=dt.date(2025, 6, 1))
    (item,) = charts.project_charts(project)
    assert item.verdict.kind == "too_few_points" and "too early to tell" in item.verdict.sentence
    assert item.verdict_tag == "Too few points to tell"


def test_an_abandoned_change_is_not_the_one_judged(project, rep):
    first = run_to_act(project, rep, starts_on=dt.date(2025, 12, 1), title="Phone calls")
    decide(cycle=first, decision="abandon", next_step="Try texts", by=rep)
    run_to_act(project, rep, title="Text reminders")
    (item,) = charts.project_charts(project)
    assert item.change.number == 2 and "(PDSA 2)" in item.verdict.sentence
    assert "PDSA 1: Phone calls" in item.chart.spec_json  # still marked on the chart


def test_a_library_measure_is_charted_from_the_practices_results(universe, measured, rep):
    from qiloop.measures import all_measures
    from qiloop_web.dashboard import pages
    from qiloop_web.dashboard.series import scale

    project = Project.objects.create(practice=universe.practice, title="DNAs", status="active")
    measure = ProjectMeasure.objects.create(
        project=project, role="outcome", title="Missed appointments", library_measure_id="dna_rate", low_is_good=True
    )
    (item,) = charts.project_charts(project)
    rows = pages.practice_series(pages.results(), "A00001", "dna_rate").sort_values("interval_start")
    multiplier, unit = scale(all_measures()["dna_rate"])
    assert item.series.unit == unit and len(item.series.x) == len(rows) >= 12
    assert item.series.y == pytest.approx(list(rows["ratio"] * multiplier), nan_ok=True)
    assert item.chart is not None and item.verdict is None  # no cycle yet: nothing to judge
    measure.library_measure_id = "no_such_measure"
    measure.save()
    (item,) = charts.project_charts(project)
    assert item.chart is None and "not in qiloop's measure library" in item.problem


def test_progress_is_read_from_the_evidence(project, rep):
    def done():
        return {step.key: step.done for step in charts.project_progress(project)}

    assert done() == {"aim": True, "baseline": True, "cycles": False, "improvement": False, "sustained": False}
    cycle = run_to_act(project, rep)
    assert done() == {"aim": True, "baseline": True, "cycles": True, "improvement": True, "sustained": True}
    project.aim_how_much = ""
    project.save()
    assert done()["aim"] is False
    ManualPoint.objects.filter(measure__project=project, date__lt=dt.date(2025, 7, 1)).delete()
    assert done()["baseline"] is False and done()["improvement"] is False  # six points before: no baseline
    assert cycle.stage == "act"


def test_the_project_page_shows_cycles_progress_and_charts(client, universe, project, rep):
    run_to_act(project, rep)
    url = reverse("projects:detail", args=["A00001", project.pk])
    client.force_login(rep)
    html = client.get(url).text
    assert "PDSA 1: Text reminders" in html and "Start a PDSA cycle" in html
    assert "Improvement signal" in html and "Chart in words" in html and "vega-embed.min.js" in html
    client.force_login(universe.people["network_qi_lead"])  # the practice's own work: closed to network roles
    assert client.get(url).status_code == 403

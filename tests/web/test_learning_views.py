"""Learning-event pages: the short report, text safety on every free-text field, restricted events, the outputs,
thematic review and the network page (no per-practice counts)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from learning_universe import NEAR_MISS, closed_event, report

from qiloop_web.audit.models import AuditEvent
from qiloop_web.learning import actions
from qiloop_web.learning.models import LearningEvent
from qiloop_web.projects.models import FishboneCause, Project
from qiloop_web.ui.text_safety import CONFIRM_FIELD

pytestmark = pytest.mark.django_db

CODE = "A00001"
NHS = "943 476 5919"  # a valid NHS number (the NHS Digital example)
BLOCKED = f"Ring back on {NHS} today"


def typed(name: str, when: date) -> dict[str, str]:
    return {f"{name}_day": str(when.day), f"{name}_month": str(when.month), f"{name}_year": str(when.year)}


REPORT_POST = {
    "title": "Wrong patient's letter nearly sent",
    "event_type": "incident",
    **typed("occurred_on", date(2026, 1, 5)),
    "location": "11",
    "process": "8",
    "description": "A referral letter was attached to the wrong record; spotted before sending.",
    "physical_harm": "5",
    "psychological_harm": "4",
}


def errors_of(response) -> str:
    """The error summary and the inline error messages, as text."""
    page = response.content.decode()
    parts = re.findall(r'<div class="nhsuk-error-summary".*?</div>\s*</div>', page, flags=re.S)
    parts += re.findall(r'<span class="nhsuk-error-message".*?</span>\s*[^<]*</span>', page, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", " ".join(parts)))


def text(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_report_form_has_at_most_ten_fields_and_reports(client, universe):
    client.force_login(universe.people["receptionist"])
    page = client.get(reverse("learning:new", args=[CODE])).content.decode()
    form = page[page.index('<form method="post"') :]
    names = set(re.findall(r'name="([a-z_]+?)(?:_day|_month|_year)?"', form)) - {"csrfmiddlewaretoken"}
    assert names == {
        "title",
        "event_type",
        "occurred_on",
        "date_approximate",
        "location",
        "process",
        "description",
        "physical_harm",
        "psychological_harm",
        "restricted",
    }
    response = client.post(reverse("learning:new", args=[CODE]), REPORT_POST)
    event = LearningEvent.objects.get()
    assert response.status_code == 302 and response.url == reverse("learning:detail", args=[CODE, event.pk])
    assert event.reporter == universe.people["receptionist"] and event.reporter_role == "receptionist"
    assert (event.physical_harm, event.psychological_harm) == ("5", "4")


def test_report_from_any_page_goes_to_the_persons_practice(client, universe):
    client.force_login(universe.people["receptionist"])
    response = client.get(reverse("learning:report-start"))
    assert response.url == reverse("learning:new", args=[CODE])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (typed("occurred_on", timezone.localdate() + timedelta(days=1)), "The event date is in the future"),
        (
            {"occurred_on_day": "", "occurred_on_month": "", "occurred_on_year": "2026", "date_approximate": "on"},
            "An approximate date needs at least the month and year",
        ),
        ({"occurred_on_day": "", "date_approximate": ""}, "Enter the day, or tick"),
        (
            {"event_type": "good_care", "physical_harm": "5", "psychological_harm": ""},
            "A good care event has no harm grade",
        ),
    ],
)
def test_bad_reports_are_refused_with_what_to_do(client, universe, changes, message):
    client.force_login(universe.people["receptionist"])
    response = client.post(reverse("learning:new", args=[CODE]), {**REPORT_POST, **changes})
    assert response.status_code == 400
    assert message in text(response)
    assert not LearningEvent.objects.exists()


def test_an_approximate_date_keeps_the_month(client, universe):
    client.force_login(universe.people["receptionist"])
    changes = {"occurred_on_day": "", "occurred_on_month": "3", "occurred_on_year": "2025", "date_approximate": "on"}
    client.post(reverse("learning:new", args=[CODE]), {**REPORT_POST, **changes})
    event = LearningEvent.objects.get()
    assert (event.occurred_on, event.date_approximate) == (date(2025, 3, 1), True)


def _after_aar(universe):
    gp = universe.people["gp"]
    event = report(universe)
    actions.update_event(event=event, by=gp, response_type="after_action_review")
    return event


def free_text_cases(universe):
    """(page, the form's other data, free-text fields): every free-text field of every learning form."""
    event = _after_aar(universe)
    edit = lambda section: reverse("learning:edit", args=[CODE, event.pk, section])  # noqa: E731
    report_fields = {k: v for k, v in REPORT_POST.items()}
    return event, [
        (reverse("learning:new", args=[CODE]), report_fields, ["title", "description"]),
        (
            edit("details"),
            report_fields,
            ["immediate_actions", "medicines_involved", "clinical_outcome", "strengths_of_care", "how_to_repeat"],
        ),
        (edit("triage"), {"lfpse_status": "not_required"}, ["lfpse_reference", "closure_reason"]),
        (
            edit("analysis"),
            {},
            [
                "what_happened",
                "why",
                "what_learned",
                "prompt_expected",
                "prompt_actual",
                "prompt_difference",
                "prompt_next_time",
            ],
        ),
        (edit("change"), {}, ["what_changed", "no_change_reason"]),
        (edit("review"), {}, ["review_outcome"]),
        (edit("sharing"), {"share_learning": "on"}, ["learning_summary"]),
        (
            reverse("learning:action-new", args=[CODE, event.pk]),
            {"owner": universe.people["gp"].pk, **typed("due_on", date(2026, 3, 1))},
            ["title"],
        ),
    ]


def test_an_nhs_number_in_any_free_text_field_is_refused_and_never_saved_or_logged(client, universe):
    event, cases = free_text_cases(universe)
    client.force_login(universe.people["gp"])
    before = LearningEvent.objects.get(pk=event.pk).fields()
    events_before = AuditEvent.objects.count()
    checked = 0
    for url, data, fields in cases:
        for field in fields:
            response = client.post(url, {**data, field: BLOCKED})
            assert response.status_code == 400, (url, field)
            errors = errors_of(response)
            assert "there is an NHS number at character 14 of the 1st line" in errors, (url, field, errors)
            assert "5919" not in errors and "943" not in errors  # the message never repeats the number
            checked += 1
    assert checked == 21
    assert LearningEvent.objects.count() == 1
    after = LearningEvent.objects.get(pk=event.pk).fields()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert AuditEvent.objects.count() == events_before
    assert "9434765919" not in json.dumps([e.detail for e in AuditEvent.objects.all()]).replace(" ", "")


def test_a_name_is_saved_only_once_confirmed(client, universe):
    event = _after_aar(universe)
    client.force_login(universe.people["gp"])
    url = reverse("learning:edit", args=[CODE, event.pk, "analysis"])
    response = client.post(url, {"why": "Mrs Patel's letter was filed late"})
    assert response.status_code == 400 and "a title followed by a name" in text(response)
    response = client.post(url, {"why": "Mrs Patel's letter was filed late", CONFIRM_FIELD: "yes"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.why.startswith("Mrs Patel")
    assert "Patel" not in json.dumps([e.detail for e in AuditEvent.objects.all()])


def test_a_restricted_event_is_closed_to_reception_and_other_clinicians(client, universe):
    event = report(universe, who="health_secretary", restricted=True)
    url = reverse("learning:detail", args=[CODE, event.pk])
    for who, status in [
        ("receptionist", 404),
        ("practice_nurse", 404),
        ("healthcare_assistant", 404),
        ("gp", 200),
        ("practice_manager", 200),
        ("health_secretary", 200),
        ("network_qi_lead", 403),
    ]:
        client.force_login(universe.people[who])
        assert client.get(url).status_code == status, who
    client.force_login(universe.people["practice_nurse"])
    assert event.title not in client.get(reverse("learning:list", args=[CODE])).content.decode()
    csv_text = client.get(reverse("learning:csv", args=[CODE])).content.decode()
    assert len(csv_text.strip().splitlines()) == 1


def test_reception_sees_only_the_events_it_reported(client, universe):
    mine = report(universe, who="receptionist", title="Mine")
    theirs = report(universe, who="practice_nurse", title="Theirs")
    client.force_login(universe.people["receptionist"])
    page = client.get(reverse("learning:list", args=[CODE])).content.decode()
    assert "Mine" in page and "Theirs" not in page
    assert client.get(reverse("learning:detail", args=[CODE, theirs.pk])).status_code == 404
    assert client.get(reverse("learning:detail", args=[CODE, mine.pk])).status_code == 200


def test_moving_is_refused_with_the_message_when_something_is_missing(client, universe):
    event = report(universe)
    client.force_login(universe.people["gp"])
    client.post(reverse("learning:move", args=[CODE, event.pk]), {"to": "triaged"})
    event.refresh_from_db()
    assert event.stage == "triaged"
    response = client.post(reverse("learning:move", args=[CODE, event.pk]), {"to": "analysed"}, follow=True)
    assert "You can't start the analysis yet: add the learning response." in text(response)
    event.refresh_from_db()
    assert event.stage == "triaged"


def test_the_record_has_the_nes_headings_and_the_lfpse_sheet_the_question_ids(client, universe):
    event = closed_event(universe)
    client.force_login(universe.people["gp"])
    record = text(client.get(reverse("learning:record", args=[CODE, event.pk])))
    positions = [record.index(h) for h in ("What happened", "Why it happened", "What was learned", "What changed")]
    assert positions == sorted(positions)
    assert "Two records open at once" in record and "One-record rule in induction" in record
    sheet = text(client.get(reverse("learning:lfpse", args=[CODE, event.pk])))
    for item in (
        "T005",
        "2026-01-05",
        "OT001",
        "No physical harm (5)",
        "L004",
        "General practice building (11)",
        "ReporterRole",
        "Administrative and clerical staff (6)",
    ):
        assert item in sheet


def test_the_csv_holds_codes_and_dates_but_no_free_text(client, universe):
    event = closed_event(universe, title="=HYPERLINK(1)")
    client.force_login(universe.people["practice_manager"])
    response = client.get(reverse("learning:csv", args=[CODE]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["number", "stage", "event_type", "occurred_on"]
    assert rows[1][:4] == [str(event.number), "closed", "incident", "2026-01-05"]
    body = response.content.decode()
    for free in ("HYPERLINK", "referral letter", "Two records", "Close one record", "One-record"):
        assert free not in body


def test_thematic_review_counts_and_draws_a_t_chart(client, universe):
    for day in (1, 9, 20, 34, 41):
        report(universe, occurred_on=date(2026, 1, 1) + timedelta(days=day), process="5")
    report(universe, occurred_on=date(2026, 1, 3), process="8")
    client.force_login(universe.people["gp"])
    url = reverse("learning:themes", args=[CODE])
    query = {**typed("start", date(2026, 1, 1)), **typed("end", date(2026, 3, 31)), "process": "5"}
    page = client.get(url, query)
    body = text(page)
    assert "6 events from 1 January 2026 to 31 March 2026" in body
    assert re.search(r"Planning or prescribing\s+5", body)
    assert "<svg" in page.content.decode() and "Days between events: Planning or prescribing" in body


def test_start_a_project_from_the_theme(client, universe):
    closed_event(universe)
    client.force_login(universe.people["gp"])
    query = "?" + "&".join(
        f"{k}={v}" for k, v in {**typed("start", date(2026, 1, 1)), **typed("end", date(2026, 3, 31))}.items()
    )
    response = client.post(
        reverse("learning:theme-project", args=[CODE]) + query,
        {"title": "Wrong-record letters", "factors": ["tools_technology", "tasks"]},
    )
    project = Project.objects.get(title="Wrong-record letters")
    assert response.url == reverse("projects:fishbone", args=[CODE, project.pk])
    assert sorted(FishboneCause.objects.filter(project=project).values_list("category", flat=True)) == [
        "equipment",
        "methods",
    ]


def test_the_network_page_shows_shared_summaries_and_suppressed_network_counts_never_a_practice(client, universe):
    for _ in range(9):
        report(universe, process="8")
    other = actions.report_event(
        practice=universe.sibling_practice,
        by=universe.people["other_gp"],
        **{**NEAR_MISS, "process": "8", "title": "Hill Street event"},
    )
    for _ in range(2):
        report(universe, process="5")
    shared = closed_event(universe)
    actions.set_sharing(event=shared, by=universe.people["gp"], share=True, summary="Close one record before the next.")
    client.force_login(universe.people["network_qi_lead"])
    query = {**typed("start", date(2026, 1, 1)), **typed("end", date(2026, 12, 31))}
    page = client.get(reverse("learning:network", args=["QPCN1"]), query)
    body = text(page)
    assert page.status_code == 200
    assert "Close one record before the next." in body
    assert "Riverside" not in body and "Hill Street" not in body and "A00001" not in body and "A00002" not in body
    # 11 events in referral (9 + 1 + the closed one) is published rounded to 10; 2 in prescribing as a range.
    assert re.search(r"Referral, escalation or change to a different service or setting\s+10", body)
    assert re.search(r"Planning or prescribing\s+1 to 7", body)
    assert not re.search(r"Planning or prescribing\s+2\b", body)
    assert other.title not in body


def test_patient_representatives_see_the_practices_shared_learning_only(client, universe):
    shared = closed_event(universe)
    actions.set_sharing(event=shared, by=universe.people["gp"], share=True, summary="Close one record before the next.")
    report(universe, title="Not shared")
    client.force_login(universe.people["patient_representative"])
    body = text(client.get(reverse("learning:shared", args=[CODE])))
    assert "Close one record before the next." in body and "Not shared" not in body
    assert client.get(reverse("learning:list", args=[CODE])).status_code == 403
    assert client.get(reverse("learning:detail", args=[CODE, shared.pk])).status_code == 403


def test_the_review_shows_the_linked_measures_verdict_since_the_change(client, universe, measured):
    from qiloop_web.learning.review import change_started, review_verdict

    event = closed_event(universe)
    assert change_started(event) == event.action_links.get().task.created_at.date()
    assert review_verdict(event) == ""
    event.review_measure_id = "pincer_a"  # set directly: a closed event's review is no longer editable
    event.save()
    verdict = review_verdict(event)
    assert verdict.startswith("Oral NSAID without gastro-protection, aged 65 and over: ")
    assert "the change" in verdict  # every verdict names the change it is about
    client.force_login(universe.people["gp"])
    assert verdict in text(client.get(reverse("learning:detail", args=[CODE, event.pk])))
    assert verdict in text(client.get(reverse("learning:record", args=[CODE, event.pk])))


def test_an_unknown_measure_is_refused(universe):
    event = report(universe)
    with pytest.raises(actions.LearningError, match="Choose a measure from the library list"):
        actions.update_event(event=event, by=universe.people["gp"], review_measure_id="no_such_measure")

"""Clinical audit pages: each renders, forms validate with an error summary and the text-safety check, the results
page draws a chart per criterion, the report has the RCGP headings, and view-only people cannot write."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from audits_universe import AUDIT_URL_ARGS, build_audit
from django.urls import reverse

from qiloop_web.audit.models import AuditEvent
from qiloop_web.audits import actions
from qiloop_web.audits.models import AuditChange, ClinicalAudit, Collection

CODE = "A00001"
VALID_NHS_NUMBER = "943 476 5919"


@pytest.fixture
def made(universe):
    return build_audit(universe)


def url(name: str, made=None) -> str:
    return reverse(name, args=[CODE, *(AUDIT_URL_ARGS[name](made) if made else [])])


def text_of(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def login(client, universe, person="gp"):
    client.force_login(universe.people[person])
    return client


@pytest.mark.parametrize("name", [n for n in AUDIT_URL_ARGS if n != "audits:stage"])
def test_every_audit_page_renders(client, universe, made, name):
    response = login(client, universe).get(url(name, made))
    assert response.status_code == 200
    assert response.content.decode().count("<h1") == 1


def test_the_list_counts_completed_cycles(client, universe, made):
    page = text_of(login(client, universe).get(url("audits:list")))
    assert "Completed cycles in the last 12 months: 0 of 2" in page
    assert "Missed appointments" in page and "Start a new audit" in page
    assert "Start a new audit" not in text_of(login(client, universe, "receptionist").get(url("audits:list")))


def test_new_audit_from_a_template_and_from_blank(client, universe):
    c = login(client, universe)
    response = c.post(url("audits:new"), {"template": "methotrexate"})
    audit = ClinicalAudit.objects.get()
    assert response.status_code == 302 and audit.title == "Methotrexate blood monitoring"
    assert [x.measure_id for x in audit.criteria.all()] == ["pincer_me_fbc_audit", "pincer_me_lft_audit"]
    response = c.post(url("audits:new"), {"template": "", "title": "", "reason": ""})
    page = text_of(response)
    assert "Enter a title for the audit, or choose a template" in page and "Choose why the audit was chosen" in page
    assert ClinicalAudit.objects.count() == 1


def test_the_criterion_form_refuses_a_standard_outside_0_to_100(client, universe, made):
    response = login(client, universe).post(url("audits:criterion-new", made), {
        "statement": "x", "reference": "y", "standard_percent": "120", "standard_kind": "minimum", "measure_id": ""})  # fmt: skip
    assert "The standard must be from 0 to 100" in text_of(response)
    assert made.audit.criteria.count() == 1


def test_the_criterion_form_offers_only_measures_the_right_way_round(client, universe, made):
    html = login(client, universe).get(url("audits:criterion-new", made)).content.decode()
    assert 'value="pincer_a_audit"' in html and 'value="copd010"' in html
    assert 'value="pincer_a"' not in html and 'value="dna_rate"' not in html


def test_free_text_goes_through_the_safety_check(client, universe, made):
    c = login(client, universe)
    actions.move_to(audit=made.audit, stage="first_collection", by=universe.people["gp"])
    actions.record_collection(audit=made.audit, reference_date=date(2025, 3, 31),
                              manual_counts={made.criterion.pk: (3, 6, 0)}, by=universe.people["gp"])  # fmt: skip
    actions.move_to(audit=made.audit, stage="change", by=universe.people["gp"])
    before = AuditEvent.objects.count()
    response = c.post(url("audits:change-new", made), {"description": f"Called {VALID_NHS_NUMBER} back",
                      "implemented_on_day": "1", "implemented_on_month": "4", "implemented_on_year": "2025"})  # fmt: skip
    assert response.status_code == 200 and "NHS number" in text_of(response)
    assert VALID_NHS_NUMBER not in text_of(response).split("Called")[0]
    assert not AuditChange.objects.exists() and AuditEvent.objects.count() == before
    response = c.post(url("audits:plan", made), {"title": "t", "reason": "other", "reason_detail": "",
                                                 "preparation": "Ask Mrs Patel"})  # fmt: skip
    assert "I have checked" in response.content.decode()


def test_a_manual_collection_form_refuses_met_above_eligible(client, universe, made):
    actions.move_to(audit=made.audit, stage="first_collection", by=universe.people["gp"])
    c, pk = login(client, universe), made.criterion.pk
    data = {"reference_date_day": "31", "reference_date_month": "3", "reference_date_year": "2025",
            f"c{pk}_met": "7", f"c{pk}_eligible": "6"}  # fmt: skip
    assert "met cannot be more than eligible" in text_of(c.post(url("audits:collection-new", made), data))
    assert not Collection.objects.exists()
    data[f"c{pk}_met"] = "5"
    assert c.post(url("audits:collection-new", made), data).status_code == 302
    assert [(n.met, n.eligible) for n in Collection.objects.get().counts.all()] == [(5, 6)]


def _two_rounds(universe, made):
    gp, pk = universe.people["gp"], made.criterion.pk
    actions.move_to(audit=made.audit, stage="first_collection", by=gp)
    actions.record_collection(audit=made.audit, reference_date=date(2025, 3, 31), manual_counts={pk: (30, 60, 0)},
                              by=gp)  # fmt: skip
    actions.move_to(audit=made.audit, stage="change", by=gp)
    actions.record_change(audit=made.audit, description="Calls the next day", implemented_on=date(2025, 4, 1), by=gp)
    actions.plan_reaudit(audit=made.audit, on=date(2025, 9, 30), by=gp)
    actions.move_to(audit=made.audit, stage="re_audit", by=gp)
    actions.record_collection(audit=made.audit, reference_date=date(2025, 9, 30), manual_counts={pk: (51, 60, 0)},
                              by=gp)  # fmt: skip
    actions.write_conclusion(audit=made.audit, conclusion="Calls work.", next_steps="Audit again in a year.", by=gp)


def test_the_results_page_draws_a_chart_per_criterion(client, universe, made):
    _two_rounds(universe, made)
    response = login(client, universe).get(url("audits:results", made))
    html, page = response.content.decode(), text_of(response)
    assert 'id="chart-criterion-1"' in html and '"Round 2, 30 Sep 2025"' in html
    assert ("Criterion 1 was met for 50% of 60 patients on 31 March 2025 (standard 80%: not met); after the change "
            "on 1 April 2025, 85% of 60 on 30 September 2025 (standard 80%: met).") in page  # fmt: skip
    assert "more than chance alone would explain" in page


def test_the_report_has_the_eight_rcgp_headings(client, universe, made):
    _two_rounds(universe, made)
    html = login(client, universe, "receptionist").get(url("audits:report", made)).content.decode()
    headings = re.findall(r"<h2>(.*?)</h2>", html)
    assert headings == [
        "1. Reason for the audit", "2. Criteria", "3. Standards", "4. Preparation",
        "5. First data collection against the standard", "6. Changes made",
        "7. Second data collection against the first and the standard", "8. Conclusions",
    ]  # fmt: skip
    page = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
    assert "30 of 60 (50%) against a standard of 80%" in page and "Calls work." in page


def test_the_action_list_link_is_for_clinical_members_only(client, universe):
    gp = universe.people["gp"]
    audit = actions.create_audit(practice=universe.practice, template_key="pincer_nsaid", by=gp)
    link = reverse("dashboard:action-list", args=[CODE, "pincer_a_audit"])
    page = reverse("audits:results", args=[CODE, audit.pk])
    assert link in login(client, universe).get(page).content.decode()
    assert link not in login(client, universe, "receptionist").get(page).content.decode()


def test_view_only_people_cannot_move_the_stage(client, universe, made):
    before = AuditEvent.objects.count()
    for person in ("receptionist", "patient_representative", "healthcare_assistant", "network_qi_lead"):
        response = login(client, universe, person).post(url("audits:stage", made), {"to": "first_collection"})
        assert response.status_code == 403, person
    made.audit.refresh_from_db()
    assert made.audit.stage == "planning" and AuditEvent.objects.count() == before
    response = login(client, universe).post(url("audits:stage", made), {"to": "first_collection"})
    assert response.status_code == 302
    made.audit.refresh_from_db()
    assert made.audit.stage == "first_collection"


def test_a_library_criterion_reads_the_monthly_chart_between_the_rounds(client, universe, measured):
    """hyp008 at Riverside in the measured results: round 1 on 31 October 2025, the change on 1 November, round 2
    on 31 March 2026. The collection computed at each date agrees with the monthly results table, and the results
    page reads the 13 months before the change against the 5 after it."""
    import pandas as pd

    results = pd.read_parquet(measured[1] / "results.parquet")
    mine = results[(results.measure == "hyp008") & (results.practice_id == CODE)]

    def in_results(day: date) -> list[tuple[int, int]]:
        row = mine[pd.to_datetime(mine.interval_end).dt.date == day].iloc[0]
        return [(int(row.numerator), int(row.denominator))]

    gp = universe.people["gp"]
    audit = actions.create_audit(practice=universe.practice, title="Blood pressure", reason="guideline", by=gp)
    actions.add_criterion(audit=audit, statement="BP controlled", reference="NICE NG136 1.4", standard_percent=77,
                          measure_id="hyp008", by=gp)  # fmt: skip
    actions.move_to(audit=audit, stage="first_collection", by=gp)
    first, _ = actions.record_collection(audit=audit, reference_date=date(2025, 10, 31), by=gp)
    assert [(n.met, n.eligible) for n in first.counts.all()] == in_results(date(2025, 10, 31))
    actions.move_to(audit=audit, stage="change", by=gp)
    actions.record_change(audit=audit, description="Recall", implemented_on=date(2025, 11, 1), by=gp)
    actions.plan_reaudit(audit=audit, on=date(2026, 3, 31), by=gp)
    actions.move_to(audit=audit, stage="re_audit", by=gp)
    second, _ = actions.record_collection(audit=audit, reference_date=date(2026, 3, 31), by=gp)
    assert [(n.met, n.eligible) for n in second.counts.all()] == in_results(date(2026, 3, 31))
    page = text_of(login(client, universe).get(reverse("audits:results", args=[CODE, audit.pk])))
    assert "The monthly chart: since the change on 1 November 2025 (the change)" in page
    from qiloop_web.audits.views import readings

    ((_criterion, reading, _chart),) = readings(audit)
    assert reading.verdict is not None and (reading.verdict.points_before, reading.verdict.points_after) == (13, 5)

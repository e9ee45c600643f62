"""``lfpse_sheet`` golden outputs: one worked event of each type, every answer beside its LFPSE question id.

The golden files were written once by running with ``QILOOP_UPDATE_GOLDEN=1`` and then checked by hand
against the v5 code tables (lfpse_v5_codes.json); a change to the sheet shows here as a diff to review.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from qiloop.learning import lfpse_sheet
from qiloop.learning.sheet import NOT_ANSWERED

GOLDEN = Path(__file__).parent / "golden"

EVENTS = {
    "incident": {
        "event_type": "incident",
        "occurred_on": date(2026, 3, 12),
        "organisation": "A81001",
        "location": "11",
        "process": "5",
        "description": "Methotrexate issued weekly on repeat was changed to daily by a template default.",
        "involved_agents": ["4", "9"],
        "medicines_involved": "Methotrexate 2.5mg tablets",
        "immediate_actions": "Pharmacy queried it; prescription cancelled before it was dispensed.",
        "physical_harm": "5",
        "psychological_harm": "4",
        "clinical_outcome": "None: the patient did not receive the tablets.",
        "patients_affected": 1,
        "age_bracket": "10",
        "reporter_role": "4",
        "reporter_involvement": "3",
        "level_of_concern": "4",
        "duty_of_candour": False,
        "cqc_notifiable": False,
        "lfpse_reference": "",
    },
    "outcome": {
        "event_type": "outcome",
        "occurred_on": date(2026, 1, 1),
        "date_approximate": True,
        "organisation": "A81001",
        "location": "2",
        "process": "8",
        "description": "Admitted with sepsis two days after a telephone consultation.",
        "involved_agents": ["10"],
        "immediate_actions": "Case reviewed by the duty doctor the same week.",
        "clinical_outcome": "Recovered after a hospital stay.",
        "strength_of_association": "4",
        "patients_affected": 1,
        "age_bracket": "11",
        "reporter_role": "4",
        "reporter_involvement": "2",
        "level_of_concern": "5",
        "duty_of_candour": True,
        "cqc_notifiable": True,
        "cqc_criteria": ["2"],
        "lfpse_reference": "LFPSE-0000-TEST",
    },
    "risk": {
        "event_type": "risk",
        "occurred_on": date(2026, 4, 2),
        "organisation": "A81001",
        "location": "11",
        "process": "7",
        "description": "Vaccine fridge alarm does not reach anyone after 6pm.",
        "risk_theme": "4",
        "risk_imminent": "n",
        "risk_timeframe": "1",
        "reporter_role": "5",
        "reporter_involvement": "1",
        "level_of_concern": "4",
    },
    "good_care": {
        "event_type": "good_care",
        "occurred_on": date(2026, 5, 20),
        "organisation": "A81001",
        "location": "11",
        "process": "1",
        "description": "A care navigator spotted red-flag symptoms in a routine booking request.",
        "strengths_of_care": "Used the new signposting card and asked one more question.",
        "how_to_repeat": "Share the card at the team meeting and add it to induction.",
        "reporter_role": "6",
        "reporter_involvement": "4",
        "level_of_concern": "1",
    },
}


@pytest.mark.parametrize("kind", sorted(EVENTS))
def test_lfpse_sheet_golden(kind):
    path = GOLDEN / f"lfpse_sheet_{kind}.json"
    got = [list(row) for row in lfpse_sheet(EVENTS[kind])]
    if os.environ.get("QILOOP_UPDATE_GOLDEN"):
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    assert got == json.loads(path.read_text())


def test_every_row_has_a_question_id_and_an_answer():
    for event in EVENTS.values():
        for question_id, question, answer in lfpse_sheet(event):
            assert question_id and question and answer


def test_harm_is_asked_only_of_incidents_and_association_only_of_outcomes():
    ids = {kind: [row[0] for row in lfpse_sheet(event)] for kind, event in EVENTS.items()}
    assert "OT001" in ids["incident"] and "OT002" in ids["incident"]
    assert not {"OT001", "OT002"} & (set(ids["outcome"]) | set(ids["risk"]) | set(ids["good_care"]))
    assert "StrengthOfAssociation" in ids["outcome"] and "StrengthOfAssociation" not in ids["incident"]
    assert "RI003" in ids["risk"] and "HowFutureOccurrence" in ids["good_care"]


def test_missing_answers_say_so():
    rows = dict((row[0], row[2]) for row in lfpse_sheet({"event_type": "incident"}))
    assert rows["OT001"] == NOT_ANSWERED and rows["T005"] == NOT_ANSWERED
    assert rows["L003"] == "GP including out-of-hours services and minor injury units (17)"

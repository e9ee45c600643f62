"""Audit variants of PINCER hazards: the same patients, counted the right way round for a clinical audit.

A PINCER indicator counts the patients harmed (low is good). An audit criterion is met by the patients who
**received the care**, among a population that reads naturally ("patients aged 65 and over on an oral NSAID"). The
hazard's complement ("over-65s without gastro-protection who are not on an NSAID") is no such population, so each
variant here states the audit population as its denominator and the safe care as its numerator (high is good):

* ``pincer_a_audit`` – aged 65 and over on an oral NSAID in the last 3 months; met when an ulcer-healing drug (PPI
  or H2 blocker) was also issued in the last 3 months. Its unmet patients are exactly PINCER A's numerator.
* ``pincer_me_fbc_audit`` / ``pincer_me_lft_audit`` – on established methotrexate (PINCER ME's population); met with
  a full blood count / liver function test in the last 3 months. The unmet patients are PINCER ME-FBC / ME-LFT's
  numerator.

The building blocks are PINCER's own (:mod:`qiloop.measures.library.pincer`), so a change to a PINCER window changes
its variant with it. The spec tests (tests/measures/library/test_audit_variants.py) check every variant on the
reference evaluator and DuckDB, and check each variant's unmet patients against its hazard.
"""

from __future__ import annotations

from qiloop.measures.language import action_spec, age, clinical_events, measure, medications
from qiloop.measures.library.common import (
    ADULT_MALE_OR_FEMALE,
    PRESCRIBING_SAFETY,
    codelist,
    governance,
    issued_in_last,
)
from qiloop.measures.library.pincer import DEN, POPULATION_TEXT, SOURCE, SOURCE_VERSION
from qiloop.measures.model import Measure

#: The hazard each audit variant turns the right way round.
VARIANT_OF: dict[str, str] = {
    "pincer_a": "pincer_a_audit",
    "pincer_me_fbc": "pincer_me_fbc_audit",
    "pincer_me_lft": "pincer_me_lft_audit",
}

_nsaid_3m = issued_in_last("pincer_nsaid", 3)
_gastroprotection_3m = issued_in_last("pincer_ulcer_healing", 3)


def _last_issued(name: str, months: int = 3):
    return medications(codelist(name)).in_last(months=months, days=1).last_date()


def _tested_in_last(name: str, months: int):
    return clinical_events(codelist(name)).in_last(months=months, days=1).exists()


def _variant(key: str, code: str, title: str, *, denominator, numerator, action_list, why: str, description: str,
             tags: tuple[str, ...]) -> Measure:  # fmt: skip
    return measure(
        id=f"pincer_{key}_audit",
        title=title,
        denominator=denominator,
        numerator=numerator,
        action_list=action_list,
        **governance(
            why_it_matters=why,
            description=description + POPULATION_TEXT,
            low_is_good=False,
            topic=PRESCRIBING_SAFETY,
            source_indicator=f"{SOURCE} indicator {code}, as an audit criterion (the complement of its numerator "
            "within its population)",
            source_version=SOURCE_VERSION,
            tags=("pincer", "prescribing safety", "audit", *tags),
        ),
    )


NSAID = "Oral NSAID — last issued"
METHOTREXATE = "Methotrexate — last issued"


def measures() -> list[Measure]:
    """The audit variants, in order (PINCER A, ME-FBC, ME-LFT)."""
    return [
        _variant(
            "a",
            "GI_P3A",
            "Gastro-protection with an oral NSAID, aged 65 and over",
            denominator=ADULT_MALE_OR_FEMALE & (age >= 65) & _nsaid_3m,
            numerator=_gastroprotection_3m,
            action_list=action_spec(
                who="aged 65 or over on an oral NSAID without gastro-protection",
                action="review the NSAID or add gastro-protection",
                columns={NSAID: _last_issued("pincer_nsaid"), "Age": age},
                order_by=NSAID,
                order="most recent NSAID issue first",
            ),
            why="Anti-inflammatory painkillers (NSAIDs) can cause stomach bleeding; people aged 65 and over who "
            "need one should also have a stomach-protecting drug. The audit counts who is protected.",
            description="Denominator: aged 65+ with an oral NSAID in the last 3 months. Numerator: an ulcer-healing "
            "drug (PPI or H2 blocker) in the last 3 months. Patients not met are PINCER A's numerator.",
            tags=("nsaid",),
        ),
        _methotrexate_test(
            "me_fbc",
            "pincer_fbc",
            "full blood count",
            action="arrange a full blood count",
            why="Methotrexate can suppress the bone marrow; a full blood count at least every 3 months catches this "
            "early. The audit counts who had one.",
            pincer="ME-FBC",
        ),
        _methotrexate_test(
            "me_lft",
            "pincer_lft",
            "liver function test",
            action="arrange liver function tests",
            why="Methotrexate can damage the liver; a liver function test at least every 3 months catches this "
            "early. The audit counts who had one.",
            pincer="ME-LFT",
        ),
    ]


def _methotrexate_test(key: str, codes: str, test: str, *, action: str, why: str, pincer: str) -> Measure:
    """An audit of methotrexate monitoring: patients on methotrexate, met with ``test`` in the last 3 months."""
    label = f"{test[:1].upper()}{test[1:]} — last recorded"
    return _variant(
        key,
        "MO_P15",
        f"{test[:1].upper()}{test[1:]} in the last 3 months, on methotrexate",
        denominator=DEN["me"],
        numerator=_tested_in_last(codes, 3),
        action_list=action_spec(
            who=f"on methotrexate without a {test} in the last 3 months",
            action=action,
            columns={
                METHOTREXATE: _last_issued("pincer_methotrexate"),
                label: clinical_events(codelist(codes)).last_date(),
            },
            order_by=label,
            order=f"longest since the last {test} first, never tested at the top",
            descending=False,
            missing_first=True,
        ),
        why=why,
        description="Denominator: methotrexate issued between 6 and 3 months ago and in the last 3 months. "
        f"Numerator: a {test} in the last 3 months. Patients not met are PINCER {pincer}'s numerator.",
        tags=("methotrexate", "monitoring"),
    )

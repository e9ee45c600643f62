"""Plain-text and Markdown descriptions of measures, from their governance metadata.

``describe_text(measure)`` is what a practice reads about one measure (``qiloop measures describe``);
``render_markdown()`` writes docs/measure-library.md (tests check the file is up to date):

    python -m qiloop.measures.library.describe > docs/measure-library.md
"""

from __future__ import annotations

from qiloop.measures.model import Measure

TOPIC_NAMES = {
    "prescribing_safety": "Prescribing safety",
    "long_term_conditions": "Long-term conditions",
    "access_continuity": "Access and continuity",
}


def _direction(measure: Measure) -> str:
    return "lower is better" if measure.low_is_good else "higher is better"


def _action_rule(measure: Measure) -> str:
    from qiloop.measures.actions import rule_text

    return rule_text(measure)


def describe_text(measure: Measure) -> str:
    """A plain-text description of ``measure`` for a practice team."""
    lines = [
        f"{measure.id}: {measure.title}",
        "",
        f"Why it matters: {measure.why_it_matters}",
        "",
        f"How it is counted: {measure.description}",
        "",
        f"Action list: {_action_rule(measure)}",
        "",
        f"Topic: {TOPIC_NAMES.get(measure.topic, measure.topic)} ({_direction(measure)})",
        f"Source: {measure.source_indicator} [{measure.source_version}]",
        "Code lists: " + (", ".join(f"{n} ({v})" for n, v in measure.codelist_versions.items()) or "none"),
        f"Author: {measure.author}; checked by: {measure.checked_by}",
        f"Measure version {measure.version}; review by {measure.review_date}",
    ]
    if measure.per != 1:
        lines.append(f"Shown per {measure.per:,} (the ratio is per patient).")
    return "\n".join(lines)


INTRO = """\
# The built-in measure library

Generated from the code by `python -m qiloop.measures.library.describe > docs/measure-library.md`; a test fails
when this file is out of date. Every measure is written in the measure language (`qiloop.measures.language`), has
spec tests (hand-worked patients in, per-patient denominator and numerator out) run on the reference evaluator and
the DuckDB engine (`tests/measures/library/`), and uses the built-in code lists (docs/codelists.md). Each published
PINCER defect the library avoids is rebuilt in `test_pincer_defects.py` and shown to change a spec answer, and the
whole library runs on a small synthetic network on both engines with identical results
(`test_synthetic_agreement.py`).

```python
from qiloop.measures.library import all_measures
measures = all_measures()          # id -> Measure, in the order below
```

Conventions. Every measure is evaluated per patient on each interval's reference date (its last day) over the
patients registered and alive on that date. "In the last N months" means after the date N calendar months before the
reference date, up to and including it; PINCER windows also include their first day, as the published study
definition does. Personalised care adjustments (QOF) remove a patient from the denominator only when the numerator
is not met.
"""

CHOICES = """\
## Definitions: choices and known departures

### PINCER (published defects avoided)

| indicator | published behaviour | qiloop |
|---|---|---|
| AC | the study definition lacked parentheses, so the loop-diuretic branch had no age limit | aged 75+ for both branches (spec: a 60-year-old on furosemide is not counted) |
| G | `resolved_date < asthma_date` is false when there is no resolved code, dropping unresolved asthmatics | no resolved code = unresolved; resolved on or after the latest asthma code (on or before 3 months ago) = resolved |
| A (ehrQL port) | age limit 65+ omitted | kept |
| AC (ehrQL port) | renal and electrolyte tests looked up in the medications table | looked up in clinical events |
| ME-LFT (ehrQL port) | FBC code list used for liver function tests | LFT list |
| AM (ehrQL port) | counted patients *with* a thyroid test | counts patients *without* one |
| AC list | `pincer-diur.csv` ("loop diuretics") holds every diuretic (spironolactone first) plus degarelix and toremifene | `loop_diuretic`: only products containing furosemide, bumetanide or torasemide |
| A–K NSAID list | contains flurbiprofen eye drops | dropped: not oral |
| E, F | co-prescribing compared the first and last issue of each month, and adjacent months | every issue date against every other, strictly less than 28 days apart, within the inclusive 3-month window |

Other PINCER notes: the population is aged 18–120 with sex male or female, as published. K reads the latest eGFR
on or before 3 months ago; the record has no comparator column, so values such as ">90" are read as their number.
The composites count patients at risk (in any component denominator) and patients triggering at least one component;
the published distribution of the number of indicators triggered is not produced (the measure language has no
boolean-to-number conversion yet).

### COPD and QOF

* `copd_register`: QOF (from 2023/24) asks that a COPD diagnosis on or after 1 April 2023 is confirmed by a
  post-bronchodilator FEV1/FVC below 0.7 between 93 days before and 186 days after diagnosis, or a record that
  spirometry is not possible. qiloop checks the obstructive readings (below 0.7, or below 70 when recorded as a
  percentage) against that range through their first and last dates, which is exact unless a patient has obstructive
  readings on both sides of the range and none inside it. The "spirometry not possible" exception has no verified
  code list and is not applied; the FEV1/FVC list does not distinguish pre- from post-bronchodilator readings.
* `copd010`: review code and MRC grade in the last 12 months; QOF's "number of exacerbations recorded" is not checked
  (no verified COPDEXACB_COD list); the invitation PCA is not applied (no invitation list); newly diagnosed or
  registered in the last 3 months is an adjustment.
* `copd014`: MRC grade 3–5 in the last 12 months; numerator is a referral on or after the first such MRC grade;
  earlier attendance at pulmonary rehabilitation is a personalised care adjustment (the "unsuitable", "unavailable"
  and "declined" PCAs have no verified code lists yet). The referral code list is a
  **placeholder** (docs/codelists.md) until the PULRHBREF_COD content is available.
* `copd_flu`: a flu vaccination in the last 8 months, which is the flu season (1 August – 31 March) at a 31 March
  reference date; on monthly intervals it is a rolling 8 months.
* `hyp008`/`hyp009`: the latest BP in the last 12 months; when a home or ambulatory average is later than the latest
  clinic reading, the home targets apply (135/85 under 80, 145/85 at 80+ [the 80+ home target follows NICE; QOF's
  wording is uncertain]). The lowest value counts when several share the latest date. The 9-month "newly diagnosed /
  registered" PCA window is uncertain; "two invitations" means invitation codes in the last 12 months whose first and
  last are at least 7 days apart.
* `dm020`/`dm021`: frailty is any moderate or severe frailty code on record (frailty codes are not resolved).
* `af006`: the CHA2DS2-VASc list holds the SNOMED CT core concept 735258002 only (QOF's CHADVAS_COD may have UK
  concepts too). "A previous score of 2 or more" is read as the latest score recorded 12 or more months ago; such
  patients are excluded even if re-scored this year.
* `af008`: the score is the latest recorded CHA2DS2-VASc value; for patients with no recorded score it is
  **computed** (summed with `as_int()`) from coded risk factors (age, sex, heart failure, hypertension, diabetes, stroke/TIA) so unscored
  high-risk patients are not missed. Vascular disease has no verified list and is not counted, so a computed score
  can be under-estimated by one. QOF uses the recorded score only. Anticoagulant = an issue in the last 6 months;
  QOF's DOAC-versus-warfarin rules are not modelled.
* `ast_review`: QOF's register also requires an asthma drug in the last 12 months; no verified list, so not applied.

### Access and continuity

Appointment measures count appointments of registered patients starting in the interval's month; cancellations are
excluded, "booked" appointments in the past are kept (they are unknown outcomes in GPAD terms). Waiting-time measures
are cumulative (`wait_7d` = 7 days or less from booking). Continuity indices use attended GP appointments naming a
clinician in the last 12 months and need at least 2 of them.
"""


def _row(measure: Measure) -> str:
    return (
        f"| `{measure.id}` | {measure.title} | {'low' if measure.low_is_good else 'high'} | "
        f"{measure.source_indicator} |"
    )


def _section(measure: Measure) -> str:
    codelists = ", ".join(f"`{n}` ({v})" for n, v in measure.codelist_versions.items()) or "none"
    parts = [
        f"### `{measure.id}` — {measure.title}",
        "",
        f"**Why it matters.** {measure.why_it_matters}",
        "",
        f"**Definition.** {measure.description}",
        "",
        f"**Action list.** {_action_rule(measure)[0].upper()}{_action_rule(measure)[1:]}",
        "",
        f"- topic: {measure.topic}; {_direction(measure)}"
        + (f"; shown per {measure.per:,}" if measure.per != 1 else ""),
        f"- source: {measure.source_indicator} ({measure.source_version})",
        f"- code lists: {codelists}",
        f"- author: {measure.author}; checked by: {measure.checked_by}",
        f"- version {measure.version}; review by {measure.review_date}",
        "",
    ]
    return "\n".join(parts)


def render_markdown() -> str:
    """docs/measure-library.md, from the library's metadata."""
    from qiloop.measures.library import all_measures

    measures = list(all_measures().values())
    out = [INTRO]
    for topic, name in TOPIC_NAMES.items():
        chosen = [m for m in measures if m.topic == topic]
        out.append(f"## {name} ({len(chosen)} measures)\n")
        out.append("| id | title | good | source |\n|---|---|---|---|")
        out.extend(_row(m) for m in chosen)
        out.append("")
        out.extend(_section(m) for m in chosen)
    out.append(CHOICES)
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - the documented regeneration command
    print(render_markdown(), end="")

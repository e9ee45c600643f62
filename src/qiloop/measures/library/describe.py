"""Plain-text and Markdown descriptions of measures, from their governance metadata.

``describe_text(measure)`` is what a practice reads about one measure (``qiloop measures describe``);
``render_markdown()`` writes docs/measure-library.md (tests check the file is up to date):

    python -m qiloop.measures.library.describe > docs/measure-library.md
"""

from __future__ import annotations

from qiloop.measures.describe import describe
from qiloop.measures.model import AppointmentAggregate, Measure, _reads, walk

NOT_REVIEWED = "Not yet checked against the published rules."

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


def reads_text(measure: Measure) -> list[str]:
    """What each part of the definition reads, generated from the definition itself (it cannot drift)."""
    parts = (
        ("denominator", measure.denominator),
        ("numerator", measure.numerator),
        ("adjustments", measure.exclusions),
    )
    out = []
    for name, node in parts:
        if node is None:
            continue
        reads = sorted(set(_reads(node)))
        if reads:
            out.append(f"{name} reads " + "; ".join(f"`{codes}` {window}" for codes, window in reads))
        counted = sorted({describe(n) for n in walk(node) if isinstance(n, AppointmentAggregate)})
        if counted:
            out.append(f"{name} takes " + "; ".join(counted))
    return out


def review_text(measure: Measure) -> str:
    """The clinical review trail in one paragraph; says so plainly when there is none."""
    review = measure.review
    if review is None:
        return NOT_REVIEWED
    text = f"Checked by {review.reviewer} against {review.rule_set} on {review.checked_on.isoformat()}"
    text += " (provisional)." if review.status == "provisional" else "."
    if review.differences:
        text += " Differs: " + "; ".join(review.differences) + "."
    return text


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
        f"Clinical review: {review_text(measure)}",
    ]
    if measure.provisional:
        lines.append(f"PROVISIONAL: {measure.provisional}")
    lines += [f"Choice: {c.text}" for c in measure.choices]
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

PINCER months. qiloop evaluates month M on its last day; the published study and its national medians evaluate
month M on its 1st (the index date). qiloop's March 2024 (31 March) is, to within a day, the study's April 2024
(index 1 April): wherever national PINCER medians are compared, compare qiloop's month M with the published month
M+1. The published index-date view: `qiloop measures run --study-index-dates` adds each PINCER month's study index
date (the day after qiloop's month ends) as a `study_index_date` column, and a PINCER measure's page names the study
month its latest month matches. It relabels qiloop's months; it does not recompute them on the 1st, so the windows
still differ by that one day.

Other PINCER notes: the population is aged 18–120 with sex male or female, as published. K reads the latest eGFR
on or before 3 months ago; the record has no comparator column, so values such as ">90" are read as their number.
The composites count patients at risk (in any component denominator) and patients triggering at least one component;
the published distribution of the number of indicators triggered is not produced (the measure language has no
boolean-to-number conversion yet).

### COPD and QOF

Each measure's own choices are listed in its section above, generated from its definition and metadata
(`Measure.choices`, each checked against the definition by `qiloop.measures.model.choice_problems` when the measure
is built). The COPD register's spirometry range is exact: `near_first` keeps the readings from 93 days before to 186
days after the first COPD code, both ends inclusive.

### Access and continuity

Appointment measures count appointments of registered patients starting in the interval's month; cancellations are
excluded, "booked" appointments in the past are kept (they are unknown outcomes in GPAD terms). `dna_rate` divides by
attended + did not attend; `dna_rate_all` divides by every appointment that was not cancelled (unknown outcomes
included), as NHS England's GP appointments data does — use `dna_rate_all` to compare with national figures. Waiting-time measures
are cumulative (`wait_7d` = 7 days or less from booking). Continuity indices use attended GP appointments naming a
clinician in the last 12 months and need at least 2 of them.
"""

CHECKLIST = """\
## Reviewer's checklist (for a practice pharmacist or GP)

Work through one measure at a time with its section above, the published rules (QOF business rules for the year,
or the PINCER study definition) and `docs/codelists.md` open. Tick each line or write down what differs.

1. **Who is counted.** Does the denominator match the published register or population (ages, resolved codes,
   dates such as "on or before 3 months ago")? Try three real-looking patients in your head: one clearly in, one
   clearly out, one on the edge (e.g. aged exactly 65, diagnosed exactly 3 months ago).
2. **What counts as done.** Does the numerator ask for the same thing as the rule (which code, which value, how
   recent)? Where the rule takes "the latest" reading, is it the latest *reading* (e.g. systolic and diastolic
   together) and the lowest value on that day?
3. **Personalised care adjustments.** Are all the published adjustments (unsuitable, informed dissent, two
   invitations at least 7 days apart, maximal therapy, declined, newly diagnosed or registered) applied, and do
   they remove a patient only when the numerator is not met? Each missing one should be listed under "Differs".
4. **Code lists.** Open each list named in the section: is every code one you would expect, and is anything
   obviously missing (e.g. only post-bronchodilator spirometry for COPD; no creams, injections or eye drops in an
   oral-drug list)? Lists marked "not verified" in docs/codelists.md need the current PCD refset.
5. **Time windows.** Do "last 12 months", "this season" and "last 3 months" start and end on the days the rule
   says (the reads line shows the windows the code actually uses)?
6. **Choices.** Is each stated choice acceptable for how your practice will use the figure, especially when
   comparing with national data (PINCER months, did-not-attend denominators)?
7. **The action list.** Would the listed patients be the ones you would want to see, in a sensible order?
8. **Record it.** Give the developers your name and role, the rule set and version you checked against, the date,
   and each difference; they record it as the measure's `review` (`qiloop.measures.model.Review`), and the
   workbench shows it on the measure's page. Until then the page says "Not yet checked against the published rules."
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
    if measure.provisional:
        parts[2:2] = [f"**Provisional.** {measure.provisional}", ""]
    parts.append("**Choices** (each checked against the definition; the reads are generated from it):")
    parts.append("")
    parts += [f"- {choice.text}" for choice in measure.choices]
    parts += [f"- {line}" for line in reads_text(measure)]
    parts += ["", f"**Clinical review.** {review_text(measure)}", ""]
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
    out.append(CHECKLIST)
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - the documented regeneration command
    print(render_markdown(), end="")

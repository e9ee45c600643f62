"""What the dashboard, measure and network pages show, assembled from the results (no Django views here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from django.conf import settings
from django.http import Http404

from qiloop.measures import all_measures
from qiloop.measures.library.describe import TOPIC_NAMES
from qiloop.measures.model import Measure, codes_used
from qiloop_web.dashboard import memo, phases
from qiloop_web.dashboard.results import BREAKDOWN_NAMES, BREAKDOWNS, LOOKBACK_MONTHS, Results, load_results
from qiloop_web.dashboard.series import Chart, counts_text, format_value, measure_chart, scale

TOPICS = ["prescribing_safety", "access_continuity", "long_term_conditions"]
CHANGES = {"": "All measures", "changed": "Only what changed (special cause)"}


def results() -> Results | None:
    return load_results(settings.QILOOP_RESULTS_DIR)


def latest_month_label(loaded: Results | None) -> str:
    """The results' latest month in words ("March 2026"), or "" without results."""
    end = str(loaded.manifest.get("end", "")) if loaded else ""
    return pd.Timestamp(end + "-01").strftime("%B %Y") if end else ""


def data_start(loaded: Results) -> dt.date | None:
    """The first month of the data the results were computed from (the manifest's ``data_start``; results
    computed before it was recorded started LOOKBACK_MONTHS after the data, so that is assumed)."""
    recorded = str(loaded.manifest.get("data_start", "") or "")
    if recorded:
        return pd.Timestamp(recorded + "-01").date()
    start = str(loaded.manifest.get("start", "") or "")
    if not start:
        return None
    return (pd.Timestamp(start + "-01") - pd.DateOffset(months=LOOKBACK_MONTHS)).date()


def topic_name(topic: str) -> str:
    return TOPIC_NAMES.get(topic, topic.replace("_", " ").capitalize())


def measures_ids() -> list[str]:
    return list(all_measures())


def measures_by_topic() -> dict[str, list[Measure]]:
    grouped: dict[str, list[Measure]] = {t: [] for t in TOPICS}
    for measure in all_measures().values():
        grouped.setdefault(measure.topic or "other", []).append(measure)
    return {t: ms for t, ms in grouped.items() if ms}


def get_measure_or_404(measure_id: str) -> Measure:
    measure = all_measures().get(measure_id)
    if measure is None:
        raise Http404("No such measure.")
    return measure


def practice_series(loaded: Results, practice_id: str, measure_id: str) -> pd.DataFrame:
    table = loaded.results
    return table[(table["practice_id"] == practice_id) & (table["measure"] == measure_id)]


@dataclass
class Card:
    measure: Measure
    chart: Chart | None


@dataclass
class TopicSection:
    topic: str
    name: str
    cards: list[Card] = field(default_factory=list)


def practice_chart(
    loaded: Results, practice_id: str, measure: Measure, *, small: bool, accepted: tuple[dt.date, ...] = ()
) -> Chart | None:
    """The practice's chart of ``measure`` with its ``accepted`` phases, kept (memo.py) while the results and
    the phases are unchanged."""

    def draw() -> Chart | None:
        series = practice_series(loaded, practice_id, measure.id)
        element_id = f"chart-{measure.id}" if small else "chart-main"
        return measure_chart(
            measure, series, element_id=element_id, small=small, phases=accepted, data_start=data_start(loaded)
        )

    return memo.kept(loaded.key, ("chart", practice_id, measure.id, small, accepted), draw)


def dashboard_sections(loaded: Results, practice_id: str, *, topic: str, changed_only: bool) -> list[TopicSection]:
    """The practice's measures grouped by topic, optionally one topic and only those with a special cause."""
    accepted = phases.accepted(practice_id)
    sections = []
    for key, measures in measures_by_topic().items():
        if topic and key != topic:
            continue
        section = TopicSection(key, topic_name(key))
        for measure in measures:
            chart = practice_chart(loaded, practice_id, measure, small=True, accepted=accepted.get(measure.id, ()))
            if changed_only and (chart is None or not chart.changed):
                continue
            section.cards.append(Card(measure, chart))
        if section.cards:
            sections.append(section)
    return sections


def measure_figures(loaded: Results, practice_id: str, measure_id: str) -> dict[str, object]:
    """The measure page's chart, numbers and breakdowns, kept (memo.py) while the results are unchanged."""
    measure = all_measures()[measure_id]
    accepted = phases.accepted(practice_id).get(measure_id, ())

    def make() -> dict[str, object]:
        return {
            "chart": practice_chart(loaded, practice_id, measure, small=False, accepted=accepted),
            "numbers": numbers_table(measure, practice_series(loaded, practice_id, measure_id)),
            "breakdowns": breakdown_tables(loaded, measure, practice_id),
        }

    return memo.kept(loaded.key, ("figures", practice_id, measure_id, accepted), make)


def numbers_table(measure: Measure, series: pd.DataFrame) -> list[dict[str, object]]:
    multiplier, unit = scale(measure)
    rows = []
    for row in series.sort_values("interval_start", ascending=False).to_dict("records"):
        value = None if pd.isna(row["ratio"]) else float(row["ratio"]) * multiplier
        no_one = not pd.isna(row["denominator"]) and float(row["denominator"]) == 0
        rows.append(
            {
                "month": pd.Timestamp(row["interval_start"]).strftime("%B %Y"),
                "numerator": _count(row["numerator"]),
                "denominator": _count(row["denominator"]),
                "value": counts_text(measure, row["numerator"], 0, "") if no_one else format_value(value, unit),
            }
        )
    return rows


def _count(value: object) -> str:
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return "suppressed"
    number = float(value)  # type: ignore[arg-type]
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"


GROUP_NAMES = {"imd_quintile": {"1": "1 (most deprived)", "5": "5 (least deprived)", "unknown": "Not recorded"}}


def breakdown_tables(loaded: Results, measure: Measure, practice_id: str) -> list[dict[str, object]]:
    """One table per breakdown for the latest month: group, numerator, denominator, value."""
    multiplier, unit = scale(measure)
    table = loaded.breakdowns
    table = table[(table["measure"] == measure.id) & (table["practice_id"] == practice_id)]
    out = []
    for breakdown in BREAKDOWNS:
        rows = table[table["breakdown"] == breakdown].sort_values("group")
        names = GROUP_NAMES.get(breakdown, {})
        out.append(
            {
                "key": breakdown,
                "name": BREAKDOWN_NAMES[breakdown],
                "rows": [
                    {
                        "group": names.get(str(r["group"]).removesuffix(".0"), str(r["group"]).removesuffix(".0")),
                        "numerator": _count(r["numerator"]),
                        "denominator": _count(r["denominator"]),
                        "value": format_value(None if pd.isna(r["ratio"]) else r["ratio"] * multiplier, unit),
                    }
                    for r in rows.to_dict("records")
                ],
            }
        )
    return out


def code_lists(measure: Measure) -> list[dict[str, object]]:
    lists = []
    for node in (measure.denominator, measure.numerator, measure.exclusions):
        if node is None:
            continue
        for codes in codes_used(node):
            if all(c["name"] != codes.name for c in lists):
                lists.append(
                    {
                        "name": codes.name,
                        "version": codes.version,
                        "system": codes.system or "",
                        "codes": sorted(codes.codes),
                    }
                )
    return lists


def warm_caches(loaded: Results) -> int:
    """Compute every practice's dashboard charts and measure pages ahead of the first visit; returns how many."""
    count = 0
    for practice_id in sorted(loaded.practice_ids()):
        accepted = phases.accepted(practice_id)
        for measure in all_measures().values():
            practice_chart(loaded, practice_id, measure, small=True, accepted=accepted.get(measure.id, ()))
            measure_figures(loaded, practice_id, measure.id)
            count += 1
    return count

"""What the dashboard, measure and network pages show, assembled from the results (no Django views here)."""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd
from django.conf import settings
from django.http import Http404

from qiloop.measures import all_measures
from qiloop.measures.disclosure import apply_disclosure_control
from qiloop.measures.library.describe import TOPIC_NAMES
from qiloop.measures.model import Measure, codes_used
from qiloop.measures.results_store import BREAKDOWN_NAMES, BREAKDOWNS
from qiloop.measures.results_store import data_start as manifest_data_start
from qiloop.measures.study_months import comparison_sentence, follows_published_study
from qiloop.records.data_age import DataAge, data_age
from qiloop_web.dashboard import drawn, memo, phases
from qiloop_web.dashboard.results import Results, load_results
from qiloop_web.dashboard.series import Chart, counts_text, format_value, measure_chart, scale

TOPICS = ["prescribing_safety", "access_continuity", "long_term_conditions"]
SHOW = {"": "All measures", "concerns": "Concerns only", "changed": "Any special cause"}


def results() -> Results | None:
    return load_results(settings.QILOOP_RESULTS_DIR)


def latest_month_label(loaded: Results | None) -> str:
    """The results' latest month in words ("March 2026"), or "" without results."""
    end = str(loaded.manifest.get("end", "")) if loaded else ""
    return pd.Timestamp(end + "-01").strftime("%B %Y") if end else ""


def study_month_sentence(loaded: Results | None, measure: Measure) -> str:
    """For a PINCER measure, which published study month the latest month matches; "" otherwise."""
    end = str(loaded.manifest.get("end", "")) if loaded else ""
    if not end or not follows_published_study(measure):
        return ""
    return comparison_sentence((pd.Timestamp(end + "-01") + pd.offsets.MonthEnd(0)).date())


def results_age(loaded: Results | None, today: dt.date) -> DataAge | None:
    """How old the results' data are on ``today``: from the end of their latest interval (None without results)."""
    if loaded is None or loaded.results.empty:
        return None
    last = memo.kept(loaded.key, ("last_day",), lambda: pd.Timestamp(loaded.results["interval_end"].max()).date())
    return data_age(last, today)


def data_start(loaded: Results) -> dt.date | None:
    """The first month of the data the results were computed from (from their manifest)."""
    return manifest_data_start(loaded.manifest)


def topic_name(topic: str) -> str:
    return TOPIC_NAMES.get(topic, topic.replace("_", " ").capitalize())


def shown_measures() -> dict[str, Measure]:
    """The measures dashboards and network views show: every library measure but the audit variants (the same
    care as a PINCER indicator, turned round for a clinical audit's criterion; they live on the audit pages)."""
    return {key: m for key, m in all_measures().items() if "audit" not in m.tags}


def measures_ids() -> list[str]:
    return list(shown_measures())


def measures_by_topic() -> dict[str, list[Measure]]:
    grouped: dict[str, list[Measure]] = {t: [] for t in TOPICS}
    for measure in shown_measures().values():
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
    svg: str = ""  # the chart drawn on the server (drawn.py): inline SVG with its text alternative


# The summary's order: what needs attention first (Making Data Count: concerns, then improvements).
ORDER = {"concern": 0, "improvement": 1, "neither": 2, "": 3}
TREND_POINTS = 6  # the trend arrow looks at the last six months


@dataclass(frozen=True)
class Trend:
    """Which way the last points go: "rising", "falling" or "level", and whether that is better or worse."""

    direction: str
    better: bool | None  # None when level

    @property
    def arrow(self) -> str:
        return {"rising": "↑", "falling": "↓"}.get(self.direction, "→")

    @property
    def words(self) -> str:
        if self.better is None:
            return self.direction
        return f"{self.direction} ({'better' if self.better else 'worse'})"


def trend_of(values: list[float], *, low_is_good: bool, points: int = TREND_POINTS) -> Trend | None:
    """The direction of the last ``points`` values (missing ones skipped): the least-squares slope over them,
    times the months it spans, against the series' mean moving range (its month-to-month noise). Smaller than
    that: "level". None with fewer than three values in the window or fewer than four in the series."""
    known = [v for v in values if v == v]
    window = known[-points:]
    if len(window) < 3 or len(known) < 4:
        return None
    n = len(window)
    mean_x, mean_y = (n - 1) / 2, sum(window) / n
    slope = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(window)) / sum((i - mean_x) ** 2 for i in range(n))
    noise = sum(abs(b - a) for a, b in zip(known, known[1:], strict=False)) / (len(known) - 1)
    change = slope * (n - 1)
    if abs(change) <= noise or change == 0:
        return Trend("level", None)
    rising = change > 0
    return Trend("rising" if rising else "falling", rising != low_is_good)


@dataclass(frozen=True)
class SummaryRow:
    measure: Measure
    chart: Chart | None
    trend: Trend | None

    @property
    def change(self) -> str:
        return self.chart.changed if self.chart else ""


def summary_rows(loaded: Results, practice_id: str, cards: list[Card]) -> list[SummaryRow]:
    """One row per card: concerns first, then improvements, then special cause with no direction, then the rest
    (each group in the dashboard's order of topics and measures)."""
    rows = [SummaryRow(card.measure, card.chart, practice_trend(loaded, practice_id, card.measure)) for card in cards]
    return sorted(rows, key=lambda row: ORDER.get(row.change, 3))


def practice_trend(loaded: Results, practice_id: str, measure: Measure) -> Trend | None:
    """The trend of the practice's last months of ``measure``, kept (memo.py) while the results are unchanged."""

    def make() -> Trend | None:
        multiplier, _unit = scale(measure)
        series = practice_series(loaded, practice_id, measure.id).sort_values("interval_start")
        values = [float(v) * multiplier for v in series["ratio"].astype(float)]
        return trend_of(values, low_is_good=measure.low_is_good)

    return memo.kept(loaded.key, ("trend", practice_id, measure.id), make)


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


def card_svg(loaded: Results, practice_id: str, measure: Measure, accepted: tuple[dt.date, ...] = ()) -> str:
    """The card's chart drawn on the server as SVG (drawn.py), kept (memo.py) while the results and the
    practice's accepted phases are unchanged."""

    def draw() -> str:
        chart = practice_chart(loaded, practice_id, measure, small=True, accepted=accepted)
        return drawn.draw_svg(drawn.card_spec(chart.spec_json), chart.text) if chart else ""

    return memo.kept(loaded.key, ("svg", practice_id, measure.id, accepted), draw)


def shown(chart: Chart | None, show: str) -> bool:
    """Whether the filter ``show`` ("", "changed" or "concerns") keeps a measure with this chart."""
    if show == "changed":
        return chart is not None and bool(chart.changed)
    if show == "concerns":
        return chart is not None and chart.changed == "concern"
    return True


def dashboard_sections(loaded: Results, practice_id: str, *, topic: str, show: str = "") -> list[TopicSection]:
    """The practice's measures grouped by topic, optionally one topic and only those the filter ``show`` keeps
    (with a special cause, or a concern)."""
    accepted = phases.accepted(practice_id)
    sections = []
    for key, measures in measures_by_topic().items():
        if topic and key != topic:
            continue
        section = TopicSection(key, topic_name(key))
        for measure in measures:
            chart = practice_chart(loaded, practice_id, measure, small=True, accepted=accepted.get(measure.id, ()))
            if not shown(chart, show):
                continue
            svg = card_svg(loaded, practice_id, measure, accepted.get(measure.id, ()))
            section.cards.append(Card(measure, chart, svg))
        if section.cards:
            sections.append(section)
    return sections


def measure_figures(
    loaded: Results, practice_id: str, measure_id: str, *, published: bool = False
) -> dict[str, object]:
    """The measure page's chart, numbers and breakdowns, kept (memo.py) while the results are unchanged.

    ``published``: the breakdown cells under the network's disclosure control (for people outside the practice's
    clinical team)."""
    measure = all_measures()[measure_id]
    accepted = phases.accepted(practice_id).get(measure_id, ())

    def make() -> dict[str, object]:
        return {
            "chart": practice_chart(loaded, practice_id, measure, small=False, accepted=accepted),
            "numbers": numbers_table(measure, practice_series(loaded, practice_id, measure_id)),
            "breakdowns": breakdown_tables(loaded, measure, practice_id, published=published),
        }

    return memo.kept(loaded.key, ("figures", practice_id, measure_id, accepted, published), make)


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


def breakdown_tables(
    loaded: Results, measure: Measure, practice_id: str, *, published: bool = False
) -> list[dict[str, object]]:
    """One table per breakdown for the latest month: group, numerator, denominator, value (``published``: under
    the network's disclosure control, counts of 1-7 suppressed and the rest rounded to 5)."""
    multiplier, unit = scale(measure)
    table = loaded.breakdowns
    table = table[(table["measure"] == measure.id) & (table["practice_id"] == practice_id)]
    if published:
        table = apply_disclosure_control(table)
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
    """Compute every practice's dashboard charts (and draw them as SVG), trends and measure pages ahead of the
    first visit; returns how many (practice, measure) pairs."""
    work = []
    for practice_id in sorted(loaded.practice_ids()):
        accepted = phases.accepted(practice_id)
        for measure in shown_measures().values():
            mine = accepted.get(measure.id, ())
            practice_chart(loaded, practice_id, measure, small=True, accepted=mine)
            practice_trend(loaded, practice_id, measure)
            measure_figures(loaded, practice_id, measure.id)
            work.append((practice_id, measure, mine))
    # vl-convert draws outside Python's lock: a few threads draw the SVGs faster than one
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        list(pool.map(lambda item: card_svg(loaded, *item), work))
    return len(work)

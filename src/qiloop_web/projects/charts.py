"""A project's measures as SPC charts with its PDSA cycles on them, whether the latest change worked, and progress.

For each of the project's measures (:class:`~qiloop_web.projects.models.ProjectMeasure`):

* the series — a library measure's monthly values for the practice from the
  computed results (read exactly as the practice dashboard reads them), or the
  points the team entered by hand;
* an XmR chart of it (``qiloop.spc``), split into a new phase at the start of
  each adopted change marked "new phase", with every started PDSA cycle as a
  labelled marker (``spc_chart_spec(markers=...)``);
* the plain-English verdict on the latest change still in place
  (``qiloop.improvement.change.assess_change``): special-cause improvement since
  it started, no change yet, or too few points to tell.

:func:`project_progress` reads the project's progress from this evidence
(``qiloop.improvement.progress``) instead of a score typed by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from qiloop.charts import chart_text_alternative, fit_to_column, spc_chart_spec
from qiloop.improvement.aims import check_aim
from qiloop.improvement.change import MIN_BEFORE, ChangeVerdict, assess_change, phase_start
from qiloop.improvement.pdsa import Decision, Stage
from qiloop.improvement.progress import Step, progress
from qiloop.measures import all_measures
from qiloop.spc import spc
from qiloop_web.dashboard import pages
from qiloop_web.dashboard.series import Chart, change_of, format_value, safe_json, scale
from qiloop_web.projects.models import ManualPoint, PdsaCycle, Project, ProjectMeasure

#: Points before the first change that make a baseline: the number "did the change work?" needs.
BASELINE_POINTS = MIN_BEFORE


@dataclass(frozen=True)
class Series:
    """A measure's values in date order (NaN for a month with no value), in the unit shown on the chart."""

    x: list[pd.Timestamp]
    y: list[float]
    unit: str
    source: str
    monthly: bool = False  # one point per calendar month (library measures), dated its first day

    @property
    def count(self) -> int:
        return sum(v == v for v in self.y)

    def count_before(self, day: dt.date | None) -> int:
        if day is None:
            return self.count
        cut = pd.Timestamp(day)
        return sum(1 for x, v in zip(self.x, self.y, strict=True) if v == v and x < cut)


@dataclass(frozen=True)
class Marker:
    """A started PDSA cycle on the charts: where (its start date), its label, and whether it starts a phase."""

    cycle_id: int
    number: int
    on: dt.date
    label: str
    new_phase: bool
    decision: str
    title: str

    @property
    def kind(self) -> str:
        """How the chart draws it: an adopted change (solid) or a cycle (dashed)."""
        return "change" if self.decision == Decision.ADOPT else "pdsa"

    @property
    def description(self) -> str:
        """The marker in words, for the text alternative (the drawn label may be shortened)."""
        text = f"PDSA {self.number}: {self.title}, "
        if self.new_phase:
            return text + "adopted, and a new phase starts here"
        return text + (DECIDED.get(self.decision) or "being tested")


@dataclass
class MeasureChart:
    """What the project pages show for one measure."""

    measure: ProjectMeasure
    series: Series | None
    chart: Chart | None = None
    verdict: ChangeVerdict | None = None
    change: Marker | None = None  # the change the verdict is about
    phases: int = 0
    markers: list[Marker] = field(default_factory=list)
    problem: str = ""  # why there is no chart

    @property
    def element_id(self) -> str:
        return f"project-measure-{self.measure.pk}"

    @property
    def has_baseline(self) -> bool:
        if self.series is None:
            return False
        first = min((m.on for m in self.markers), default=None)
        return self.series.count_before(first) >= BASELINE_POINTS

    @property
    def verdict_tag(self) -> str:
        return VERDICT_TAGS.get(self.verdict.kind, "") if self.verdict else ""


DECIDED = {"adopt": "adopted", "adapt": "adapted", "abandon": "abandoned"}
VERDICT_TAGS = {
    "improvement": "Improvement since the change",
    "deterioration": "Worse since the change",
    "no_change_yet": "No change yet",
    "too_few_points": "Too few points to tell",
}


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _when(x: pd.Timestamp, monthly: bool) -> str:
    """When the latest point is: "in March 2026" for a monthly measure, "on 5 October 2026" otherwise."""
    return f"in {x:%B %Y}" if monthly else f"on {_day(x.date())}"


def measure_series(measure: ProjectMeasure, practice_code: str) -> tuple[Series | None, str]:
    """The measure's series for the practice, or None and why there is none."""
    if measure.is_manual:
        points = list(ManualPoint.objects.filter(measure=measure).order_by("date"))
        unit = measure.unit or ""
        series = Series(
            [pd.Timestamp(p.date) for p in points], [float(p.value) for p in points], unit, "entered by the team"
        )
        return series, ""
    library = all_measures().get(measure.library_measure_id)
    if library is None:
        return None, f"'{measure.library_measure_id}' is not in qiloop's measure library, so it cannot be charted."
    loaded = pages.results()
    if loaded is None:
        return None, "The practice's measures have not been computed yet, so there is nothing to chart."
    rows = pages.practice_series(loaded, practice_code, library.id).sort_values("interval_start")
    multiplier, unit = scale(library)
    values = [float("nan") if pd.isna(v) else float(v) * multiplier for v in rows["ratio"]]
    x = [pd.Timestamp(v) for v in rows["interval_start"]]
    source = "from the practice's records"
    if library.title.strip().lower() != measure.title.strip().lower():
        source += f" ({library.title})"
    return Series(x, values, unit, source, monthly=True), ""


def cycle_markers(project: Project) -> list[Marker]:
    """Every cycle that has started (reached Do), numbered in the order they were created, by start date."""
    cycles = list(PdsaCycle.objects.filter(project=project).order_by("created_at", "id"))
    markers = []
    for number, cycle in enumerate(cycles, start=1):
        if cycle.starts_on is None or cycle.stage == Stage.PLAN:
            continue
        label = f"PDSA {number}: {cycle.title}"
        if len(label) > 40:
            label = label[:39] + "…"
        # A decision counts once it is recorded (Done); until then it is a draft in the Act stage.
        decision = cycle.decision if cycle.stage == Stage.DONE else ""
        new_phase = bool(cycle.new_phase and decision == Decision.ADOPT)
        markers.append(Marker(cycle.pk, number, cycle.starts_on, label, new_phase, decision, cycle.title))
    return sorted(markers, key=lambda m: (m.on, m.number))


def latest_change(markers: list[Marker]) -> Marker | None:
    """The latest started change the team has not abandoned: what "did the change work?" asks about."""
    kept = [m for m in markers if m.decision != Decision.ABANDON]
    return kept[-1] if kept else None


def project_charts(project: Project, *, small: bool = False) -> list[MeasureChart]:
    """One :class:`MeasureChart` per project measure, in the project's order."""
    markers = cycle_markers(project)
    change = latest_change(markers)
    return [
        measure_chart(measure, project.practice.code, markers, change, small=small)
        for measure in ProjectMeasure.objects.filter(project=project).order_by("order", "id")
    ]


def project_measure_chart(measure: ProjectMeasure) -> MeasureChart:
    """One measure's chart with its project's PDSA markers, phases and the verdict on the latest change."""
    markers = cycle_markers(measure.project)
    return measure_chart(measure, measure.project.practice.code, markers, latest_change(markers))


def measure_chart(
    measure: ProjectMeasure, practice_code: str, markers: list[Marker], change: Marker | None, *, small: bool = False
) -> MeasureChart:
    series, problem = measure_series(measure, practice_code)
    item = MeasureChart(measure, series, markers=markers, change=change, problem=problem)
    if series is None:
        return item
    if series.count < 2:
        if measure.is_manual:
            item.problem = "Fewer than two points so far: add points to see the chart."
        elif series.count == 0:
            item.problem = "There are no results of this measure for the practice yet."
        else:
            item.problem = "Only one month of results for the practice so far: a chart needs two or more."
        return item
    splits = []
    for marker in markers:
        at = phase_start(series.x, marker.on) if marker.new_phase else None
        if at is not None and at != series.x[0] and at not in splits:
            splits.append(at)
    improvement = "down" if measure.low_is_good else "up"
    result = spc(
        series.y,
        x=series.x,
        chart="xmr",
        improvement=improvement,
        splits=splits or None,
        measure_name=measure.title[:1].lower() + measure.title[1:],
        allow_missing=True,
    )
    item.phases = len(result.summary.phases)
    y_label = series.unit or "Value"
    width, height = (280, 140) if small else (640, 300)
    chart_markers = [{"x": m.on, "label": m.label, "kind": m.kind} for m in markers]
    # No colour legend: the page's key says what the colours mean, and a legend overflows a narrow column.
    spec: dict[str, Any] = spc_chart_spec(
        result,
        title=measure.title,
        y_label=y_label,
        markers=chart_markers,
        width=width,
        height=height,
        y_kind=y_kind(series.unit),
        legend=False,
    )
    fit_to_column(spec, legend=False)
    if change is not None:
        # The baseline is the way of working the change replaced: from the last new phase before it.
        since = max((at for at in splits if at < pd.Timestamp(change.on)), default=None)
        item.verdict = assess_change(
            series.x,
            series.y,
            change.on,
            low_is_good=measure.low_is_good,
            label=f"PDSA {change.number}",
            since=since,
        )
    latest_at = max((i for i, v in enumerate(series.y) if v == v), default=0)
    summary = result.summary
    item.chart = Chart(
        element_id=f"project-measure-{measure.pk}",
        spec_json=safe_json(spec),
        text=text_alternative(result, measure.title, markers, item),
        sentence=summary.sentence,
        variation_icon=summary.variation_icon,
        assurance_icon=summary.assurance_icon,
        latest_value=format_value(series.y[latest_at], series.unit),
        latest_month=_when(series.x[latest_at], series.monthly),
        changed=change_of(summary.variation_icon),
    )
    return item


def y_kind(unit: str) -> str | None:
    """Which values the chart's y axis can show: 0–100 for "%", never below 0 for "per 1,000";
    a unit typed by the team (days, minutes…) is read by ``spc_chart_spec`` from the chart type."""
    if unit.strip() == "%":
        return "percent"
    if unit.strip().lower().startswith("per "):
        return "rate"
    return None


def text_alternative(result: Any, title: str, markers: list[Marker], item: MeasureChart) -> str:
    """The chart in words: the SPC description, the PDSA markers and phases, and the verdict on the latest change."""
    described = [{"x": m.on, "label": m.description} for m in markers]
    parts = [chart_text_alternative(result, measure=title, markers=described)]
    if item.verdict is not None:
        parts.append(item.verdict.sentence)
    return " ".join(part.strip() for part in parts if part)


def project_progress(project: Project, charts: list[MeasureChart] | None = None) -> list[Step]:
    """The project's progress read from its evidence: aim, baselines, cycles, improvement, sustained."""
    charts = project_charts(project) if charts is None else charts
    cycles = list(PdsaCycle.objects.filter(project=project).values_list("stage", flat=True))
    verdicts = [c.verdict for c in charts if c.verdict is not None]
    improvement = any(v.kind == "improvement" for v in verdicts)
    return progress(
        aim_ok=check_aim(project.aim_what, project.aim_how_much, project.aim_by).ok,
        measures_with_baseline=sum(c.has_baseline for c in charts),
        measures=len(charts),
        cycles_done=sum(stage in (Stage.ACT, Stage.DONE) for stage in cycles),
        cycles=len(cycles),
        improvement=improvement,
        sustained=any(sustained(c) for c in charts),
    )


def sustained(item: MeasureChart) -> bool:
    """An improvement whose latest points are all still on the good side of the old average."""
    return item.verdict is not None and item.verdict.kind == "improvement" and item.verdict.sustained

"""A round's results for a page or a CSV: the library's scoring (``qiloop.survey.scoring``) over the stored
responses, arranged by section, with the charts.

Who sees what:

* a practice round, at the practice: the practice's figures, role groups under the small-number rules, the
  GP-versus-manager gap where the national figures differ by 10 points or more, the previous round beside;
* a network round, at the PCN (network QI lead): the practices pooled, every count through the network
  disclosure control (``qiloop.measures.disclosure``: 1–7 suppressed, others rounded to 5), no role groups,
  no practice rows, no free text;
* a network round, at one of its practices (its manager): the practice's own figures beside the pooled
  network ones — its own row only; the other practices appear only inside the pooled figure.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from qiloop.charts import fit_to_column, survey_chart_spec
from qiloop.csv_safety import neutralise_row
from qiloop.survey.instrument import GROUP_LABELS, INDICATORS, SECTION_TITLES, Indicator
from qiloop.survey.scoring import ALL, Figure, Report, disclosed, free_text_shown, score
from qiloop_web.dashboard.series import safe_json
from qiloop_web.organisations.models import Organisation
from qiloop_web.survey.models import Response, RoundStatus, SurveyRound

SORTED_SECTIONS = {"facilitators", "barriers"}  # shown most-chosen first: the top barriers and facilitators


@dataclass
class SectionChart:
    element_id: str
    spec_json: str
    text: str
    kind = "survey"


@dataclass
class Row:
    indicator: Indicator
    figure: Figure
    gp: Figure | None = None
    pm: Figure | None = None
    network: Figure | None = None
    previous: Figure | None = None

    @property
    def gap(self) -> float | None:
        """This practice's GP minus manager gap, in points, when both groups are shown."""
        if self.gp is None or self.pm is None:
            return None
        return 100 * (self.gp.proportion - self.pm.proportion)


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row]
    chart: SectionChart | None = None
    gap_rows: list[Row] = field(default_factory=list)


@dataclass
class Results:
    survey_round: SurveyRound
    viewer: Organisation
    report: Report
    sections: list[Section]
    network: Report | None = None  # the pooled network figures, for a practice's view of a network round
    previous_round: SurveyRound | None = None
    free_text: list[str] = field(default_factory=list)
    pooled: bool = False  # the network's own view: pooled and disclosure-controlled
    waiting: bool = False  # the round is still open: no figures yet

    @property
    def group_labels(self) -> list[str]:
        return [GROUP_LABELS[g] for g in self.report.groups]


def _responses(survey_round: SurveyRound, practice: Organisation | None = None) -> list[Response]:
    responses = Response.objects.filter(round=survey_round)
    if practice is not None:
        responses = responses.filter(practice=practice)
    return list(responses)


def _report(survey_round: SurveyRound, viewer: Organisation) -> tuple[Report, bool]:
    if survey_round.is_network and viewer.pk == survey_round.organisation_id:
        return disclosed(score([r.as_answers() for r in _responses(survey_round)])), True
    return score([r.as_answers() for r in _responses(survey_round, viewer)]), False


def previous_round(survey_round: SurveyRound) -> SurveyRound | None:
    """The closed round of the same organisation run before this one (the trend's previous point)."""
    earlier = Q(opens_on__lt=survey_round.opens_on) | Q(opens_on=survey_round.opens_on, id__lt=survey_round.pk)
    return (
        SurveyRound.objects.filter(earlier, organisation=survey_round.organisation, status=RoundStatus.CLOSED)
        .order_by("-opens_on", "-id")
        .first()
    )


def results(survey_round: SurveyRound, viewer: Organisation) -> Results:
    """The round's results for ``viewer`` — only once the round has closed: figures that changed with each
    answer would let anyone who looked before and after someone answered work out that person's answers."""
    if not survey_round.is_closed:
        pooled = survey_round.is_network and viewer.pk == survey_round.organisation_id
        waiting = Report(total=len(_responses(survey_round, None if pooled else viewer)), group_counts={}, groups=[])
        return Results(survey_round, viewer, waiting, [], pooled=pooled, waiting=True)
    report, pooled = _report(survey_round, viewer)
    network = None
    if survey_round.is_network and not pooled:
        network = disclosed(score([r.as_answers() for r in _responses(survey_round)]))
    before = previous_round(survey_round)
    before_report = _report(before, viewer)[0] if before is not None else None
    sections = []
    for key, title in SECTION_TITLES.items():
        rows = []
        for indicator in (i for i in INDICATORS if i.section == key):
            figure = report.figure(indicator.id)
            if figure is None:
                continue
            rows.append(
                Row(
                    indicator,
                    figure,
                    gp=report.figure(indicator.id, "gp") if report.compares_gp_and_pm else None,
                    pm=report.figure(indicator.id, "practice_manager") if report.compares_gp_and_pm else None,
                    network=network.figure(indicator.id) if network else None,
                    previous=before_report.figure(indicator.id) if before_report else None,
                )
            )
        if key in SORTED_SECTIONS:
            rows.sort(key=lambda row: -row.figure.proportion)
        section = Section(key, title, rows, gap_rows=[r for r in rows if r.indicator.gap_matters and r.gap is not None])
        if rows:
            section.chart = _chart(survey_round, key, title, rows)
        sections.append(section)
    free_text = []
    if viewer.is_practice and free_text_shown(report.total, survey_round.is_closed):
        free_text = sorted(r.help_most for r in _responses(survey_round, viewer) if r.help_most)
    return Results(survey_round, viewer, report, sections, network, before, free_text, pooled)


def _chart(survey_round: SurveyRound, key: str, title: str, rows: list[Row]) -> SectionChart:
    chart_rows = []
    for row in rows:
        low, high = row.figure.interval
        national = row.indicator.national
        chart_rows.append(
            {
                "label": row.indicator.label,
                "percent": 100 * row.figure.proportion,
                "low": 100 * low,
                "high": 100 * high,
                "national_gp": national.gp if national else None,
                "national_pm": national.pm if national else None,
            }
        )
    spec = survey_chart_spec(chart_rows, title=title)
    # As wide as the page's column (down to 320 px screens); the section's heading names the chart.
    fit_to_column(spec)
    return SectionChart(f"survey-{survey_round.pk}-{key}", safe_json(spec), str(spec["description"]))


CSV_HEADER = [
    "round",
    "instrument",
    "viewer",
    "section",
    "indicator",
    "label",
    "group",
    "positive",
    "answered",
    "percent",
    "low_95",
    "high_95",
    "national_gp_percent",
    "national_pm_percent",
    "national_source",
    "differs_from_national_gp",
    "differs_from_national_pm",
]


def results_csv(found: Results) -> str:
    """Aggregates only: every shown figure (all staff and each shown group). Never free text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    groups = [ALL, *found.report.groups]
    for (indicator_id, group), figure in sorted(
        found.report.figures.items(), key=lambda item: (INDICATORS.index(item[1].indicator), groups.index(item[0][1]))
    ):
        low, high = figure.interval
        national = figure.indicator.national
        writer.writerow(
            neutralise_row(
                [
                    found.survey_round.title,
                    found.survey_round.instrument_version,
                    found.viewer.code,
                    SECTION_TITLES.get(figure.indicator.section, figure.indicator.section),
                    indicator_id,
                    figure.indicator.label,
                    GROUP_LABELS[group],
                    figure.k,
                    figure.n,
                    f"{100 * figure.proportion:.1f}",
                    f"{100 * low:.1f}",
                    f"{100 * high:.1f}",
                    national.gp if national else "",
                    national.pm if national else "",
                    national.source if national else "",
                    "yes" if figure.differs_from_gp else "no",
                    "yes" if figure.differs_from_pm else "no",
                ]
            )
        )
    return out.getvalue()


def as_context(found: Results) -> dict[str, Any]:
    return {"results": found, "report": found.report}

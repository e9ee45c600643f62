"""Thematic review for a practice, and the network's view of shared learning.

The practice page counts its events (those the person may see) by healthcare process, involved agent,
contributory factor and harm over a chosen period; draws a T chart of the days between events (all of
them, or one part of care) with ``qiloop.spc``; and can start a QI project from the theme.

The network page shows only what practices chose to share (short summaries, without the practice's name)
and network-level theme counts, each suppressed and rounded as every network view is
(``qiloop.measures.disclosure``). It never shows a count per practice: no league tables of reporting.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from qiloop.charts import chart_text_alternative, spc_chart_spec
from qiloop.charts.export import to_svg
from qiloop.learning.taxonomy import FACTORS, HEALTHCARE_PROCESS
from qiloop.learning.themes import DIMENSIONS, MIN_T_CHART_INTERVALS, days_between, in_period, theme_counts
from qiloop.measures.disclosure import SUPPRESS_AT_MOST, publish_count
from qiloop.spc import spc
from qiloop_web.learning import actions
from qiloop_web.learning.forms import ThemeForm
from qiloop_web.learning.models import LearningEvent
from qiloop_web.learning.views import practice_only, visible_events
from qiloop_web.organisations.models import Organisation
from qiloop_web.organisations.permissions import organisation_permission_required
from qiloop_web.organisations.roles import Permission


def _period(request: HttpRequest) -> tuple[ThemeForm, date, date, str]:
    today = timezone.localdate()
    start, end = today - timedelta(days=365), today
    form = ThemeForm(request.GET or None, initial={"start": start, "end": end})
    process = ""
    if request.GET and form.is_valid():
        start, end = form.cleaned_data["start"] or start, form.cleaned_data["end"] or end
        process = form.cleaned_data.get("process") or ""
    return form, start, end, process


def _fit_width(svg: str) -> str:
    """The chart scales to its column (its viewBox keeps the shape): no sideways scrolling on a phone."""
    head, rest = svg.split(">", 1)
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    return f'{head} width="100%">{rest}'


def t_chart(dates: list[date], what: str) -> dict[str, Any] | None:
    """A T chart of the days between events (None with too few events to draw one)."""
    gaps = days_between(dates)
    if len(gaps) < MIN_T_CHART_INTERVALS:
        return None
    result = spc([d for _, d in gaps], x=[when for when, _ in gaps], chart="t", improvement="up")
    spec = spc_chart_spec(
        result, title=f"Days between events: {what}", y_label="Days since the event before", width=560, height=260
    )
    return {
        "svg": mark_safe(_fit_width(to_svg(spec))),  # noqa: S308 - drawn by vl-convert from our own numbers
        "text": chart_text_alternative(result, measure=f"days between events ({what})"),
        "sentence": result.summary.sentence,
    }


@organisation_permission_required(Permission.VIEW_LEARNING_EVENTS)
def themes(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    practice_only(organisation)
    form, start, end, process = _period(request)
    events = [e.fields() for e in visible_events(request, organisation)]
    chosen = in_period(events, start, end)
    counts = theme_counts(chosen)
    series = [e["occurred_on"] for e in chosen if not process or e.get("process") == process]
    what = HEALTHCARE_PROCESS.label(process) if process else "all events"
    context = {
        "organisation": organisation,
        "form": form,
        "start": start,
        "end": end,
        "total": len(chosen),
        "tables": [(DIMENSIONS[name], rows) for name, rows in counts.items()],
        "factor_rows": counts["factor"],
        "chart": t_chart(series, what),
        "chart_what": what,
        "min_events": MIN_T_CHART_INTERVALS + 1,
    }
    return render(request, "learning/themes.html", context)


@require_POST
@organisation_permission_required(Permission.VIEW_LEARNING_EVENTS)
def theme_project(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    practice_only(organisation)
    form, start, end, _ = _period(request)
    chosen = in_period([e.fields() for e in visible_events(request, organisation)], start, end)
    counts = {key: n for key, _, n in theme_counts(chosen)["factor"]}
    period = f"{start:%-d %B %Y} to {end:%-d %B %Y}"
    try:
        project = actions.start_project_from_theme(
            practice=organisation,
            by=request.user,  # type: ignore[arg-type]
            title=request.POST.get("title", ""),
            factors=request.POST.getlist("factors"),
            counts=counts,
            period=period,
        )
    except actions.LearningError as problem:
        messages.error(request, str(problem))
        return redirect("learning:themes", organisation.code)
    messages.success(request, "Project started: its fishbone holds the theme's contributory factors.")
    return redirect("projects:fishbone", organisation.code, project.pk)


def _published(n: int) -> str:
    value = publish_count(n)
    if value is None:
        return f"1 to {SUPPRESS_AT_MOST}"
    return f"{int(value)}"


@organisation_permission_required(Permission.VIEW_NETWORK)
def network(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    if organisation.is_practice:
        raise Http404("This page is for a PCN or ICB.")
    form, start, end, _ = _period(request)
    practices = organisation.descendants().filter(kind="practice")
    events = LearningEvent.objects.filter(practice__in=practices, occurred_on__gte=start, occurred_on__lte=end)
    counts = theme_counts([e.fields() for e in events.exclude(restricted=True)])
    shared = events.filter(share_learning=True).exclude(restricted=True).order_by("-occurred_on", "pk")
    context = {
        "organisation": organisation,
        "form": form,
        "start": start,
        "end": end,
        "tables": [
            (DIMENSIONS[name], [(words, _published(n)) for _, words, n in rows])
            for name, rows in counts.items()
            if name in ("process", "factor", "physical_harm")
        ],
        "shared": [
            {
                "summary": e.learning_summary,
                "type": e.get_event_type_display(),
                "process": HEALTHCARE_PROCESS.label(e.process),
                "month": e.occurred_on,
                "factors": [FACTORS[k].label for k in e.factors if k in FACTORS],
            }
            for e in shared
        ],
        "suppress_at_most": SUPPRESS_AT_MOST,
    }
    return render(request, "learning/network.html", context)


@organisation_permission_required(Permission.VIEW_PROJECTS)
def shared(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """The practice's own shared learning, for the whole team, patient representatives included."""
    practice_only(organisation)
    events = LearningEvent.objects.filter(practice=organisation, share_learning=True, restricted=False)
    context = {
        "organisation": organisation,
        "shared": [
            {
                "summary": e.learning_summary,
                "type": e.get_event_type_display(),
                "process": HEALTHCARE_PROCESS.label(e.process),
                "month": e.occurred_on,
                "factors": [FACTORS[k].label for k in e.factors if k in FACTORS],
            }
            for e in events.order_by("-occurred_on", "pk")
        ],
    }
    return render(request, "learning/shared.html", context)

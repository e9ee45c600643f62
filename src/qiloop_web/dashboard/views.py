"""Practice dashboard, measure page, action list (page and CSV) and network views. Each: one permission check, render."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import cache_control, never_cache

from qiloop.errors import QiloopError
from qiloop.measures.actions import ActionList, compute_action_list, compute_action_lists, rule_text
from qiloop.measures.model import Measure
from qiloop_web.dashboard import action_lists, memo, pages, phases
from qiloop_web.dashboard.england import england_context
from qiloop_web.dashboard.network import (
    Funnel,
    Position,
    funnel_chart,
    practice_position,
    published_counts,
    published_monthly,
    small_multiples,
)
from qiloop_web.dashboard.results import Results
from qiloop_web.dashboard.series import Chart
from qiloop_web.organisations.models import Kind, Organisation
from qiloop_web.organisations.naming import own_practices, practice_labels
from qiloop_web.organisations.permissions import (
    organisation_permission_required,
    patient_level_view,
    permissions_in,
)
from qiloop_web.organisations.roles import Permission


def wants_partial(request: HttpRequest) -> bool:
    """An htmx request for part of a page (not htmx restoring a whole page from its history)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-History-Restore-Request") != "true"
        and headers.get("HX-Request-Type") != "full"
    )


def fragment_key(code: str, loaded: Results | None, *parts: object) -> str:
    """What a cached page fragment depends on: the organisation, the results (fingerprint and when they were
    computed, so new results are never shown old fragments) and the page's own choices. Fragments hold
    aggregates only; the permission check runs before any is looked up."""
    return ":".join([code, loaded.key if loaded else "no-results", *map(str, parts)])


def labels_key(labels: dict[str, str]) -> str:
    """The practice labels this viewer sees (names only where shared), as a short cache-key part."""
    return hashlib.sha256(repr(sorted(labels.items())).encode()).hexdigest()[:16]


def _practice_only(organisation: Organisation) -> None:
    if organisation.kind != Kind.PRACTICE:
        raise Http404("Dashboards are for practices; networks have a network view.")


@organisation_permission_required(Permission.VIEW_DASHBOARD)
def practice_dashboard(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    _practice_only(organisation)
    topic = request.GET.get("topic", "")
    topic = topic if topic in pages.measures_by_topic() else ""
    show = request.GET.get("show", "")
    show = show if show in pages.SHOW else ""
    loaded = pages.results()
    has_data = loaded is not None and organisation.code in loaded.practice_ids()
    sections = (
        pages.dashboard_sections(loaded, organisation.code, topic=topic, show=show) if loaded and has_data else []
    )
    cards = [card for section in sections for card in section.cards]
    context = {
        "organisation": organisation,
        "has_data": has_data,
        "sections": sections,
        "summary": pages.summary_rows(loaded, organisation.code, cards) if loaded and has_data else [],
        "topics": [(key, pages.topic_name(key)) for key in pages.measures_by_topic()],
        "topic": topic,
        "show": show,
        "show_choices": list(pages.SHOW.items()),
        "changed_only": show == "changed",
        "concerns_only": show == "concerns",
        "fragment_key": fragment_key(organisation.code, loaded, topic, show, *phases.cache_parts(organisation.code)),
        "topic_name": pages.topic_name(topic),
        "shown": len(cards),
        "manifest": loaded.manifest if loaded else {},
        "latest_month": pages.latest_month_label(loaded),
        "data_age": pages.results_age(loaded, timezone.localdate()),
    }
    if wants_partial(request) and has_data:
        response = render(request, "dashboard/_practice_grid_response.html", context)
    else:
        response = render(request, "dashboard/practice.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@organisation_permission_required(Permission.VIEW_DASHBOARD)
def measure_page(request: HttpRequest, organisation: Organisation, measure_id: str) -> HttpResponse:
    _practice_only(organisation)
    measure = pages.get_measure_or_404(measure_id)
    loaded = pages.results()
    # Outside the practice's clinical team (reception, secretaries, patient representatives) the breakdown cells
    # follow the network rule: counts of 1-7 hidden, others rounded to 5 (a small group can name a patient).
    granted = permissions_in(request.user, organisation)  # once: each look-up is a query
    published = Permission.VIEW_PATIENT_LEVEL not in granted
    context = {
        "organisation": organisation,
        "measure": measure,
        "topic": pages.topic_name(measure.topic),
        **(pages.measure_figures(loaded, organisation.code, measure.id, published=published) if loaded else {}),
        "breakdowns_published": published,
        "code_lists": pages.code_lists(measure),
        "can_see_patients": Permission.VIEW_PATIENT_LEVEL in granted,
        "action_rule": rule_text(measure),
        "can_recalculate": Permission.RECALCULATE_CHARTS in granted,
        "phases": phases.of_measure(organisation.code, measure.id),
        "fragment_key": fragment_key(
            organisation.code, loaded, measure.id, published, *phases.cache_parts(organisation.code, measure.id)
        ),
        "manifest": loaded.manifest if loaded else {},
        "latest_month": pages.latest_month_label(loaded),
        "study_month": pages.study_month_sentence(loaded, measure),
        **_position_context(loaded, organisation, measure.id),
        **england_context(Path(settings.QILOOP_STORE), measure.id, organisation.code),
    }
    return render(request, "dashboard/measure.html", context)


def peer_network(practice: Organisation) -> Organisation | None:
    """The network a practice is compared with on its own pages: its ICB (the widest), else its PCN."""
    pcn = practice.parent
    if pcn is None:
        return None
    return pcn.parent if pcn.parent is not None else pcn


def _position_context(loaded: Results | None, practice: Organisation, measure_id: str) -> dict[str, Any]:
    """The practice among its network's practices (aggregates under disclosure control only), kept (memo.py)."""
    network = peer_network(practice)
    if loaded is None or network is None:
        return {"position": None, "peer_network": network}
    codes = tuple(p.code for p in network_practices(network))
    measure = pages.get_measure_or_404(measure_id)

    def draw() -> Position:
        return practice_position(measure, loaded.results, practice.code, list(codes), element_id="position-funnel")

    position = memo.kept(loaded.key, ("position", measure_id, codes, practice.code), draw)
    return {"position": position, "peer_network": network}


def _action_list(organisation: Organisation, measure_id: str) -> tuple[Measure, ActionList | None, str]:
    """The action list for the results' latest month: (measure, the list or None, the problem in words).

    Kept by the results fingerprint, the practice and the measure: in this process's memory and in a private
    file per measure that every process shares (action_lists.py); a miss computes every practice's list of the
    measure at once, one computation per measure however many ask.
    """
    measure = pages.get_measure_or_404(measure_id)
    loaded = pages.results()
    on = str(loaded.manifest.get("end")) if loaded else None

    def make() -> ActionList:
        return compute_action_list(str(settings.QILOOP_STORE), measure, organisation.code, on=on)

    def make_all() -> dict[str, ActionList]:
        practices = sorted(loaded.practice_ids()) if loaded else [organisation.code]
        return compute_action_lists(str(settings.QILOOP_STORE), measure, practices, on=on)

    key = loaded.key if loaded else None
    folder = action_lists.results_folder(Path(settings.VAR_DIR) / "cache", key) if key else None
    try:
        listed = action_lists.kept_with_the_others(key, organisation.code, measure.id, make, make_all, folder=folder)
    except QiloopError as problem:
        return measure, None, problem.message
    return measure, listed, ""


@never_cache  # patient-level: never kept by a browser or proxy, never in the page cache
@patient_level_view(what="action_list")
def action_list_page(request: HttpRequest, organisation: Organisation, measure_id: str) -> HttpResponse:
    _practice_only(organisation)
    measure, listed, problem = _action_list(organisation, measure_id)
    request.audit_target = ("measure", measure.id)  # type: ignore[attr-defined]
    context = {
        "organisation": organisation,
        "measure": measure,
        "listed": listed,
        "problem": problem,
        "rows_html": action_lists.rows_html(listed) if listed is not None else "",
    }
    return render(request, "dashboard/action_list.html", context)


@patient_level_view(what="action_list", download=True)
def action_list_csv(request: HttpRequest, organisation: Organisation, measure_id: str) -> HttpResponse:
    _practice_only(organisation)
    measure, listed, problem = _action_list(organisation, measure_id)
    if listed is None:
        return HttpResponse(problem, status=404, content_type="text/plain; charset=utf-8")
    request.audit_target = ("measure", measure.id)  # type: ignore[attr-defined]
    response = HttpResponse(listed.csv(), content_type="text/csv; charset=utf-8")  # CSV-injection safe
    month = f"{listed.on:%Y-%m}"
    response["Content-Disposition"] = f'attachment; filename="{organisation.code}-{measure.id}-{month}-action-list.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _network_practices(request: HttpRequest, organisation: Organisation) -> tuple[list[Organisation], dict[str, str]]:
    """The network's practices, and how the viewer names them (shared names; anonymous labels are per measure)."""
    if organisation.kind == Kind.PRACTICE:
        raise Http404("A network view is for a PCN or an ICB.")
    practices = network_practices(organisation)
    return practices, practice_labels(request.user, practices)


def measure_labels(
    viewer: Any, practices: list[Organisation], measure_id: str, loaded: Results, *, own: set[str] | None = None
) -> dict[str, str]:
    """Practice labels for one measure's network charts: anonymous labels drawn afresh per measure and per
    release of results, so a label tied to a practice on one chart says nothing on another (docs/security.md).
    ``own``: the viewer's own practices among them, when already looked up."""
    return practice_labels(viewer, practices, context=f"{measure_id}:{loaded.key}", own=own)


def network_practices(organisation: Organisation) -> list[Organisation]:
    """The practices of a PCN, or of every PCN in an ICB."""
    if organisation.kind == Kind.ICB:
        return list(Organisation.objects.filter(kind=Kind.PRACTICE, parent__parent=organisation).order_by("code"))
    return list(Organisation.objects.filter(kind=Kind.PRACTICE, parent=organisation).order_by("code"))


def warm_network_caches(loaded: Results) -> int:
    """Draw every network's funnels and small multiples as someone outside its practices sees them."""
    count = 0
    for network in Organisation.objects.exclude(kind=Kind.PRACTICE).order_by("code"):
        practices = network_practices(network)
        codes = tuple(p.code for p in practices)
        for measure_id in pages.measures_ids():
            labels = tuple(sorted(measure_labels(None, practices, measure_id, loaded).items()))
            _funnel(loaded, measure_id, codes, labels, f"funnel-{measure_id}")
            _funnel(loaded, measure_id, codes, labels, "funnel-main")
            _multiples(loaded, measure_id, codes, labels)
            count += 1
    return count


def _funnel(
    loaded: Results, measure_id: str, codes: tuple[str, ...], labels: tuple[tuple[str, str], ...], element_id: str
) -> Funnel:
    """The funnel for these practices under these labels, kept (memo.py) while the results are unchanged."""
    measure = pages.get_measure_or_404(measure_id)

    def draw() -> Funnel:
        counts = published_counts(loaded.results, measure, list(codes))
        return funnel_chart(measure, counts, dict(labels), element_id=element_id)

    return memo.kept(loaded.key, ("funnel", measure_id, codes, labels, element_id), draw)


def _multiples(
    loaded: Results, measure_id: str, codes: tuple[str, ...], labels: tuple[tuple[str, str], ...]
) -> list[tuple[str, Chart | None]]:
    """The network's small-multiple SPC charts, kept (memo.py) while the results are unchanged."""
    measure = pages.get_measure_or_404(measure_id)

    def draw() -> list[tuple[str, Chart | None]]:
        monthly = published_monthly(loaded.results, measure_id, list(codes))
        return small_multiples(measure, monthly, dict(labels), prefix="spc", data_start=pages.data_start(loaded))

    return memo.kept(loaded.key, ("multiples", measure_id, codes, labels), draw)


def _sorted_labels(
    request: HttpRequest, practices: list[Organisation], measure_id: str, loaded: Results
) -> tuple[tuple[str, str], ...]:
    """The viewer's labels for one measure; their own practices looked up once per request (the network view
    labels every measure's funnel)."""
    codes = tuple(p.code for p in practices)
    known: dict[tuple[str, ...], set[str]] = request.__dict__.setdefault("_qiloop_own_practices", {})
    if codes not in known:
        known[codes] = own_practices(request.user, practices)
    return tuple(sorted(measure_labels(request.user, practices, measure_id, loaded, own=known[codes]).items()))


@organisation_permission_required(Permission.VIEW_NETWORK)
def network_view(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    practices, labels = _network_practices(request, organisation)
    codes = tuple(p.code for p in practices)
    topic = request.GET.get("topic", "")
    topic = topic if topic in pages.measures_by_topic() else ""
    loaded = pages.results()
    sections = []
    if loaded is not None:
        for key, measures in pages.measures_by_topic().items():
            if topic and key != topic:
                continue
            items = [
                (m, _funnel(loaded, m.id, codes, _sorted_labels(request, practices, m.id, loaded), f"funnel-{m.id}"))
                for m in measures
            ]
            sections.append({"name": pages.topic_name(key), "items": items})
    context = {
        "organisation": organisation,
        "sections": sections,
        "practice_count": len(codes),
        "topics": [(key, pages.topic_name(key)) for key in pages.measures_by_topic()],
        "topic": topic,
        "fragment_key": fragment_key(organisation.code, loaded, topic, labels_key(labels)),
        "topic_name": pages.topic_name(topic),
        "shown": sum(len(section["items"]) for section in sections),
        "manifest": loaded.manifest if loaded else {},
        "latest_month": pages.latest_month_label(loaded),
        "data_age": pages.results_age(loaded, timezone.localdate()),
    }
    template = "dashboard/_network_grid_response.html" if wants_partial(request) else "dashboard/network.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@organisation_permission_required(Permission.VIEW_NETWORK)
def network_measure(request: HttpRequest, organisation: Organisation, measure_id: str) -> HttpResponse:
    practices, labels = _network_practices(request, organisation)
    codes = tuple(p.code for p in practices)
    measure = pages.get_measure_or_404(measure_id)
    loaded = pages.results()
    funnel = multiples = None
    if loaded is not None:
        these = _sorted_labels(request, practices, measure.id, loaded)  # the funnel's and the small multiples'
        funnel = _funnel(loaded, measure.id, codes, these, "funnel-main")
        multiples = _multiples(loaded, measure.id, codes, these)
    context = {
        "organisation": organisation,
        "measure": measure,
        "topic": pages.topic_name(measure.topic),
        "funnel": funnel,
        "multiples": multiples or [],
        "fragment_key": fragment_key(organisation.code, loaded, measure.id, labels_key(labels)),
        "manifest": loaded.manifest if loaded else {},
        "latest_month": pages.latest_month_label(loaded),
    }
    return render(request, "dashboard/network_measure.html", context)


@lru_cache(maxsize=1)
def _interpreter_source() -> str:
    source = (settings.NODE_MODULES / "vega-interpreter" / "build" / "vega-interpreter.js").read_text(encoding="utf-8")
    # The ES module imports from the bare name 'vega-util', which a browser cannot resolve without an
    # (inline, CSP-blocked) import map; vega's own bundle, loaded first, already carries vega-util.
    return re.sub(r"import \{([^}]*)\} from 'vega-util';", r"const {\1} = globalThis.vega;", source, count=1)


@cache_control(max_age=3600, public=True)
def vega_interpreter(request: HttpRequest) -> HttpResponse:
    """vega-interpreter (node_modules) as a module the browser can load: Vega's expressions without eval."""
    try:
        source = _interpreter_source()
    except OSError:
        raise Http404("vega-interpreter is not installed (npm ci).") from None
    return HttpResponse(source, content_type="text/javascript; charset=utf-8")

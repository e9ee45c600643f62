"""Survey pages: a manager's rounds (open, follow, close, enter paper answers, read results, CSV) and the
questionnaire staff answer through a round's link.

Views stay short: the decorator checks MANAGE_SURVEYS in the organisation named by the URL; the actions
check everything else. Answering needs a signed-in member of a practice taking part (so one answer per
person can be kept to without storing who answered what: see ``survey/models.py``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from qiloop.survey.instrument import QUESTIONNAIRE_NOTE, VERSION, unanswered
from qiloop.survey.scoring import MIN_RESPONSES
from qiloop_web.organisations.models import Organisation
from qiloop_web.organisations.permissions import organisation_permission_required
from qiloop_web.organisations.roles import Permission
from qiloop_web.survey import actions
from qiloop_web.survey.forms import QuestionnaireForm, RoundForm
from qiloop_web.survey.models import Response, SurveyRound
from qiloop_web.survey.results import results, results_csv


def _rounds_for(organisation: Organisation):  # type: ignore[no-untyped-def]
    """The organisation's rounds and, for a practice, its network's rounds (it takes part in them)."""
    ids = [organisation.pk] + ([organisation.parent_id] if organisation.is_practice and organisation.parent_id else [])
    return SurveyRound.objects.filter(organisation_id__in=ids).select_related("organisation")


def _round_or_404(organisation: Organisation, round_id: int) -> SurveyRound:
    return get_object_or_404(_rounds_for(organisation), pk=round_id)


def _own_round_or_404(organisation: Organisation, round_id: int) -> SurveyRound:
    return get_object_or_404(SurveyRound.objects.select_related("organisation"), pk=round_id, organisation=organisation)


def _only_practice_or_pcn(organisation: Organisation) -> None:
    if organisation.kind not in ("practice", "pcn"):
        raise Http404("Staff surveys run in a practice or across a primary care network.")


@organisation_permission_required(Permission.MANAGE_SURVEYS)
def round_list(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    _only_practice_or_pcn(organisation)
    rounds = list(_rounds_for(organisation))
    for survey_round in rounds:
        survey_round.count = survey_round.responses.filter(  # type: ignore[attr-defined]
            **({} if survey_round.organisation_id == organisation.pk else {"practice": organisation})
        ).count()
    return render(request, "survey/round_list.html", {"organisation": organisation, "rounds": rounds})


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.MANAGE_SURVEYS)
def round_new(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    _only_practice_or_pcn(organisation)
    form = RoundForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            survey_round = actions.open_round(organisation=organisation, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except actions.SurveyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"“{survey_round.title}” is open. Send the link below to the team.")
            return redirect("survey:round", organisation.code, survey_round.pk)
    status = 400 if form.errors else 200
    return render(request, "survey/round_new.html", {"organisation": organisation, "form": form}, status=status)


@organisation_permission_required(Permission.MANAGE_SURVEYS)
def round_detail(request: HttpRequest, organisation: Organisation, round_id: int) -> HttpResponse:
    survey_round = _round_or_404(organisation, round_id)
    responses = Response.objects.filter(round=survey_round)
    if survey_round.organisation_id != organisation.pk:
        responses = responses.filter(practice=organisation)
    context = {
        "organisation": organisation,
        "survey_round": survey_round,
        "own": survey_round.organisation_id == organisation.pk,
        "count": responses.count(),
        "paper": responses.filter(on_paper=True).count(),
        "link": request.build_absolute_uri(reverse("survey:answer", args=[survey_round.link_key])),
        "minimum": MIN_RESPONSES,
    }
    return render(request, "survey/round_detail.html", context)


@require_POST
@organisation_permission_required(Permission.MANAGE_SURVEYS)
def round_close(request: HttpRequest, organisation: Organisation, round_id: int) -> HttpResponse:
    survey_round = _own_round_or_404(organisation, round_id)
    try:
        actions.close_round(survey_round=survey_round, by=request.user)  # type: ignore[arg-type]
    except actions.NotAllowed as error:
        raise PermissionDenied(str(error)) from None
    except actions.SurveyError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"“{survey_round.title}” is closed. Its results are below.")
        return redirect("survey:results", organisation.code, survey_round.pk)
    return redirect("survey:round", organisation.code, survey_round.pk)


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.MANAGE_SURVEYS)
def paper_entry(request: HttpRequest, organisation: Organisation, round_id: int) -> HttpResponse:
    survey_round = _round_or_404(organisation, round_id)
    if not organisation.is_practice:
        raise Http404("Paper answers are entered by each practice's manager.")
    form = QuestionnaireForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.enter_paper_response(
                survey_round=survey_round,
                practice=organisation,
                answers=form.answers(),
                help_most=form.help_most,
                by=request.user,  # type: ignore[arg-type]
            )
        except actions.SurveyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Paper answers saved. Enter the next questionnaire, or go back to the round.")
            return redirect("survey:paper", organisation.code, survey_round.pk)
    context = {"organisation": organisation, "survey_round": survey_round, "form": form, "paper": True}
    return render(request, "survey/questionnaire.html", context, status=400 if form.errors else 200)


@organisation_permission_required(Permission.MANAGE_SURVEYS)
def round_results(request: HttpRequest, organisation: Organisation, round_id: int) -> HttpResponse:
    survey_round = _round_or_404(organisation, round_id)
    found = results(survey_round, organisation)
    context = {"organisation": organisation, "survey_round": survey_round, "results": found, "minimum": MIN_RESPONSES}
    return render(request, "survey/results.html", context)


@organisation_permission_required(Permission.MANAGE_SURVEYS)
def round_results_csv(request: HttpRequest, organisation: Organisation, round_id: int) -> HttpResponse:
    survey_round = _round_or_404(organisation, round_id)
    response = HttpResponse(results_csv(results(survey_round, organisation)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="staff-survey-{organisation.code}-{survey_round.pk}.csv"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, key: str) -> HttpResponse:
    survey_round = get_object_or_404(SurveyRound.objects.select_related("organisation"), link_key=key)
    practice = actions.answering_practice(survey_round, request.user)
    if practice is None:
        raise PermissionDenied("This survey is for the practice's staff; you are not one of the staff it was sent to.")
    context = {"survey_round": survey_round, "practice": practice, "note": QUESTIONNAIRE_NOTE, "version": VERSION}
    if survey_round.is_closed or timezone.localdate() > survey_round.closes_on:
        return render(request, "survey/answered.html", {**context, "closed": True})
    if actions.has_answered(survey_round, request.user):
        return render(request, "survey/answered.html", {**context, "already": True})
    form = QuestionnaireForm(request.POST if request.method == "POST" else None)
    left: list[str] = []
    if request.method == "POST" and form.is_valid():
        left = unanswered(form.answers())
        if not left or form.cleaned_data.get("send_as_is"):
            try:
                actions.answer(
                    survey_round=survey_round,
                    answers=form.answers(),
                    help_most=form.help_most,
                    by=request.user,  # type: ignore[arg-type]
                )
            except actions.NotAllowed as error:
                raise PermissionDenied(str(error)) from None
            except actions.AlreadyAnswered:
                return render(request, "survey/answered.html", {**context, "already": True}, status=409)
            except actions.SurveyError as error:
                form.add_error(None, str(error))
            else:
                thanks = "Thank you: your answers are saved, with nothing that says they are yours."
                if left:
                    thanks += f" You left {len(left)} question{'s' if len(left) != 1 else ''} unanswered."
                messages.success(request, thanks)
                return redirect("survey:answer", key)
    status = 400 if form.errors else 200
    context |= {"form": form, "left": left}
    return render(request, "survey/questionnaire.html", context, status=status)

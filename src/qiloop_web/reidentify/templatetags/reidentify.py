"""``{% nhs_numbers_form organisation measure %}``: on the action-list page, the upload form for NHS numbers
(for those who may download the list, when the practice holds its key here) or a line saying how to get one."""

from __future__ import annotations

from typing import Any

from django import template

from qiloop.measures.model import Measure
from qiloop_web.organisations.models import Organisation
from qiloop_web.organisations.permissions import permissions_in
from qiloop_web.organisations.roles import Permission
from qiloop_web.reidentify.actions import holds_key
from qiloop_web.reidentify.forms import NhsNumbersForm

register = template.Library()


@register.inclusion_tag("reidentify/_action_list_form.html", takes_context=True)
def nhs_numbers_form(context: template.Context, organisation: Organisation, measure: Measure) -> dict[str, Any]:
    granted = permissions_in(context["request"].user, organisation)
    may_download = {Permission.VIEW_PATIENT_LEVEL, Permission.DOWNLOAD_ACTION_LIST} <= granted
    return {
        "show": may_download,
        "held": may_download and holds_key(organisation),
        "can_manage": Permission.MANAGE_PRACTICE_SETTINGS in granted,
        "organisation": organisation,
        "measure": measure,
        "form": NhsNumbersForm(),
        "csrf_token": context.get("csrf_token"),
    }

"""Every URL requested as every role, as a member of another practice, and anonymously.

The table below is the design: each row is a page, each column a person
(see web_universe.py), each cell the HTTP status they must get for GET.
``3`` = 302 (anonymous: to sign in; signed in on the sign-in page: home),
``2`` = 200, ``4`` = 403, ``0`` = 404, ``5`` = 405 (POST only; the POST
rules are checked in ``test_refused_writes_change_nothing``). A test also checks that the table names
every URL pattern, so a new page cannot be added without its row.
"""

from __future__ import annotations

import pytest
from audits_universe import audit_url
from django.urls import get_resolver, reverse
from projects_universe import project_url
from survey_universe import survey_url

from conftest import CODES
from conftest import PEOPLE as UNIVERSE_PEOPLE
from qiloop_web.audit.models import AuditEvent
from qiloop_web.organisations.models import Invitation, Membership, Organisation
from qiloop_web.reidentify.models import PracticeKey

PEOPLE = ["anonymous", *UNIVERSE_PEOPLE]

#                                           anon gp pm nu ph ha re hs pr nl ia ad og
MATRIX = """
home                                         3  2  2  2  2  2  2  2  2  2  2  2  2
accounts:sign-in                             2  3  3  3  3  3  3  3  3  3  3  3  3
accounts:sign-out                            3  2  2  2  2  2  2  2  2  2  2  2  2
accounts:password-reset                      2  2  2  2  2  2  2  2  2  2  2  2  2
accounts:password-reset-sent                 2  2  2  2  2  2  2  2  2  2  2  2  2
accounts:password-reset-complete             2  2  2  2  2  2  2  2  2  2  2  2  2
organisations:detail@practice                3  2  2  2  2  2  2  2  2  4  4  2  4
organisations:detail@sibling                 3  4  4  4  4  4  4  4  4  4  4  2  2
organisations:detail@pcn                     3  4  4  4  4  4  4  4  4  2  4  2  4
organisations:detail@icb                     3  4  4  4  4  4  4  4  4  4  2  2  4
organisations:detail@missing                 3  0  0  0  0  0  0  0  0  0  0  0  0
organisations:invite@practice                3  4  2  4  4  4  4  4  4  4  4  2  4
organisations:invite@pcn                     3  4  4  4  4  4  4  4  4  2  4  2  4
organisations:change-role@practice           3  4  2  4  4  4  4  4  4  4  4  2  4
organisations:change-role@sibling-member     3  4  4  4  4  4  4  4  4  4  4  2  4
organisations:remove-member@practice         3  4  2  4  4  4  4  4  4  4  4  2  4
organisations:remove-member@sibling-member   3  4  4  4  4  4  4  4  4  4  4  2  4
organisations:cancel-invitation@practice     5  5  5  5  5  5  5  5  5  5  5  5  5
organisations:settings@practice              3  4  2  4  4  4  4  4  4  4  4  4  4
organisations:settings@sibling               3  4  4  4  4  4  4  4  4  4  4  4  4
audit:organisation-log@practice              3  4  2  4  4  4  4  4  4  4  4  2  4
audit:organisation-log@pcn                   3  4  4  4  4  4  4  4  4  4  4  2  4
organisations:accept-invitation              2  2  2  2  2  2  2  2  2  2  2  2  2
dashboard:practice@practice                  3  2  2  2  2  2  2  2  2  4  4  4  4
dashboard:practice@sibling                   3  4  4  4  4  4  4  4  4  4  4  4  2
dashboard:practice@pcn                       3  4  4  4  4  4  4  4  4  4  4  4  4
dashboard:measure@practice                   3  2  2  2  2  2  2  2  2  4  4  4  4
dashboard:measure@practice-no-such-measure   3  0  0  0  0  0  0  0  0  4  4  4  4
dashboard:measure@sibling                    3  4  4  4  4  4  4  4  4  4  4  4  2
dashboard:action-list@practice               3  2  2  2  2  2  4  4  4  4  4  4  4
dashboard:action-list@sibling                3  4  4  4  4  4  4  4  4  4  4  4  2
dashboard:action-list@far                    3  4  4  4  4  4  4  4  4  4  4  4  4
dashboard:action-list-csv@practice           3  2  2  2  2  4  4  4  4  4  4  4  4
dashboard:action-list-csv@sibling            3  4  4  4  4  4  4  4  4  4  4  4  2
dashboard:accept-phase@practice              5  5  5  5  5  5  5  5  5  5  5  5  5
dashboard:undo-phase@practice                3  2  2  2  2  4  4  4  4  4  4  4  4
dashboard:undo-phase@practice-sibling-phase  3  0  0  0  0  4  4  4  4  4  4  4  4
dashboard:undo-phase@sibling                 3  4  4  4  4  4  4  4  4  4  4  4  2
dashboard:network@pcn                        3  4  4  4  4  4  4  4  4  2  2  4  4
dashboard:network@icb                        3  4  4  4  4  4  4  4  4  4  2  4  4
dashboard:network@practice                   3  4  4  4  4  4  4  4  4  0  0  4  4
dashboard:network@other-pcn                  3  4  4  4  4  4  4  4  4  4  2  4  4
dashboard:network-measure@pcn                3  4  4  4  4  4  4  4  4  2  2  4  4
dashboard:network-measure@icb                3  4  4  4  4  4  4  4  4  4  2  4  4
dashboard:vega-interpreter                   2  2  2  2  2  2  2  2  2  2  2  2  2
dashboard:data@icb                           3  4  4  4  4  4  4  4  4  4  2  2  4
dashboard:data@practice                      3  4  2  4  4  4  4  4  4  4  4  2  4
dashboard:data@pcn                           3  4  4  4  4  4  4  4  4  4  4  0  4
dashboard:import-status@icb                  3  4  4  4  4  4  4  4  4  4  0  0  4
dashboard:import-status@practice             3  4  0  4  4  4  4  4  4  4  4  0  4
teamwork:my-tasks                            3  2  2  2  2  2  2  2  2  2  2  2  2
teamwork:tasks@practice                      3  2  2  2  2  2  2  2  2  4  4  4  4
teamwork:tasks@sibling                       3  4  4  4  4  4  4  4  4  4  4  4  2
teamwork:tasks@far                           3  4  4  4  4  4  4  4  4  4  4  4  4
teamwork:tasks@pcn                           3  4  4  4  4  4  4  4  4  4  4  4  4
teamwork:task-create@practice                3  2  2  2  2  2  2  2  2  4  4  4  4
teamwork:task-create@sibling                 3  4  4  4  4  4  4  4  4  4  4  4  2
teamwork:task-edit@practice                  3  4  2  4  4  4  2  4  4  4  4  4  4
teamwork:task-edit@practice-sibling-task     3  0  0  0  0  0  0  0  0  4  4  4  4
teamwork:task-complete@practice              5  5  5  5  5  5  5  5  5  5  5  5  5
teamwork:task-delete@practice                3  4  2  4  4  4  2  4  4  4  4  4  4
teamwork:task-delete@practice-sibling-task   3  0  0  0  0  0  0  0  0  4  4  4  4
teamwork:time@practice                       3  2  2  2  2  2  2  2  2  4  4  4  4
teamwork:time@sibling                        3  4  4  4  4  4  4  4  4  4  4  4  2
teamwork:time-create@practice                3  2  2  2  2  2  2  2  2  4  4  4  4
teamwork:time-edit@practice                  3  4  2  2  4  4  4  4  4  4  4  4  4
teamwork:time-edit@practice-sibling-entry    3  0  0  0  0  0  0  0  0  4  4  4  4
teamwork:time-delete@practice                3  4  2  2  4  4  4  4  4  4  4  4  4
teamwork:time-csv@practice                   3  2  2  2  2  2  2  2  2  4  4  4  4
teamwork:time-csv@far                        3  4  4  4  4  4  4  4  4  4  4  4  4
projects:list@practice                       3  2  2  2  2  2  2  2  2  4  4  4  4
projects:list@sibling                        3  4  4  4  4  4  4  4  4  4  4  4  2
projects:list@far                            3  4  4  4  4  4  4  4  4  4  4  4  4
projects:list@pcn                            3  4  4  4  4  4  4  4  4  4  4  4  4
projects:new@practice                        3  2  2  2  2  2  2  2  2  4  4  4  4
projects:new@sibling                         3  4  4  4  4  4  4  4  4  4  4  4  2
projects:detail@practice                     3  2  2  2  2  2  2  2  2  4  4  4  4
projects:detail@sibling                      3  4  4  4  4  4  4  4  4  4  4  4  0
projects:aim@practice                        3  2  2  2  2  2  2  2  2  4  4  4  4
projects:aim@sibling                         3  4  4  4  4  4  4  4  4  4  4  4  0
projects:status@practice                     3  2  2  2  2  2  2  2  2  4  4  4  4
projects:team@practice                       3  2  2  2  2  2  2  2  2  4  4  4  4
projects:remove-member@practice              3  2  2  2  2  2  2  2  2  4  4  4  4
projects:add-measure@practice                3  2  2  2  2  2  2  2  2  4  4  4  4
projects:measure@practice                    3  2  2  2  2  2  2  2  2  4  4  4  4
projects:measure@sibling                     3  4  4  4  4  4  4  4  4  4  4  4  0
projects:edit-measure@practice               3  2  2  2  2  2  2  2  2  4  4  4  4
projects:remove-measure@practice             3  2  2  2  2  2  2  2  2  4  4  4  4
projects:remove-point@practice               3  2  2  2  2  2  2  2  2  4  4  4  4
projects:drivers@practice                    3  2  2  2  2  2  2  2  2  4  4  4  4
projects:edit-driver@practice                3  2  2  2  2  2  2  2  2  4  4  4  4
projects:move-driver@practice                5  5  5  5  5  5  5  5  5  5  5  5  5
projects:remove-driver@practice              3  2  2  2  2  2  2  2  2  4  4  4  4
projects:remove-driver@sibling               3  4  4  4  4  4  4  4  4  4  4  4  0
projects:fishbone@practice                   3  2  2  2  2  2  2  2  2  4  4  4  4
projects:edit-cause@practice                 3  2  2  2  2  2  2  2  2  4  4  4  4
projects:remove-cause@practice               3  2  2  2  2  2  2  2  2  4  4  4  4
projects:process-map@practice                3  2  2  2  2  2  2  2  2  4  4  4  4
projects:edit-step@practice                  3  2  2  2  2  2  2  2  2  4  4  4  4
projects:move-step@practice                  5  5  5  5  5  5  5  5  5  5  5  5  5
projects:remove-step@practice                3  2  2  2  2  2  2  2  2  4  4  4  4
projects:cycle-new@practice                  3  2  2  2  2  2  2  2  2  4  4  4  4
projects:cycle-new@sibling                   3  4  4  4  4  4  4  4  4  4  4  4  0
projects:cycle@practice                      3  2  2  2  2  2  2  2  2  4  4  4  4
projects:cycle@sibling                       3  4  4  4  4  4  4  4  4  4  4  4  0
audits:list@practice                         3  2  2  2  2  2  2  2  2  4  4  4  4
audits:list@sibling                          3  4  4  4  4  4  4  4  4  4  4  4  2
audits:list@far                              3  4  4  4  4  4  4  4  4  4  4  4  4
audits:list@pcn                              3  4  4  4  4  4  4  4  4  4  4  4  4
audits:new@practice                          3  2  2  2  2  4  4  4  4  4  4  4  4
audits:new@sibling                           3  4  4  4  4  4  4  4  4  4  4  4  2
audits:detail@practice                       3  2  2  2  2  2  2  2  2  4  4  4  4
audits:detail@sibling                        3  4  4  4  4  4  4  4  4  4  4  4  0
audits:plan@practice                         3  2  2  2  2  4  4  4  4  4  4  4  4
audits:plan@sibling                          3  4  4  4  4  4  4  4  4  4  4  4  0
audits:stage@practice                        5  5  5  5  5  5  5  5  5  5  5  5  5
audits:criterion-new@practice                3  2  2  2  2  4  4  4  4  4  4  4  4
audits:criterion-new@sibling                 3  4  4  4  4  4  4  4  4  4  4  4  0
audits:criterion-remove@practice             3  2  2  2  2  4  4  4  4  4  4  4  4
audits:collection-new@practice               3  2  2  2  2  4  4  4  4  4  4  4  4
audits:collection-new@sibling                3  4  4  4  4  4  4  4  4  4  4  4  0
audits:change-new@practice                   3  2  2  2  2  4  4  4  4  4  4  4  4
audits:reaudit@practice                      3  2  2  2  2  4  4  4  4  4  4  4  4
audits:conclusion@practice                   3  2  2  2  2  4  4  4  4  4  4  4  4
audits:results@practice                      3  2  2  2  2  2  2  2  2  4  4  4  4
audits:results@sibling                       3  4  4  4  4  4  4  4  4  4  4  4  0
audits:report@practice                       3  2  2  2  2  2  2  2  2  4  4  4  4
audits:report@sibling                        3  4  4  4  4  4  4  4  4  4  4  4  0
audits:report@pcn                            3  4  4  4  4  4  4  4  4  4  4  4  4
reidentify:key@practice                      3  4  2  4  4  4  4  4  4  4  4  4  4
reidentify:key@sibling                       3  4  4  4  4  4  4  4  4  4  4  4  4
reidentify:key@pcn                           3  4  4  4  4  4  4  4  4  4  4  4  4
reidentify:remove-key@practice               3  4  0  4  4  4  4  4  4  4  4  4  4
reidentify:remove-key@sibling                3  4  4  4  4  4  4  4  4  4  4  4  4
reidentify:download@practice                 5  5  5  5  5  5  5  5  5  5  5  5  5
reidentify:download@sibling                  5  5  5  5  5  5  5  5  5  5  5  5  5
learning:report-start                        3  3  3  3  3  3  3  3  2  2  2  2  3
learning:list@practice                       3  2  2  2  2  2  2  2  4  4  4  4  4
learning:list@sibling                        3  4  4  4  4  4  4  4  4  4  4  4  2
learning:list@pcn                            3  4  4  4  4  4  4  4  4  4  4  4  4
learning:new@practice                        3  2  2  2  2  2  2  2  4  4  4  4  4
learning:new@sibling                         3  4  4  4  4  4  4  4  4  4  4  4  2
learning:csv@practice                        3  2  2  2  2  2  4  4  4  4  4  4  4
learning:csv@sibling                         3  4  4  4  4  4  4  4  4  4  4  4  2
learning:detail@practice                     3  2  2  2  2  2  2  0  4  4  4  4  4
learning:detail@practice-restricted          3  2  2  0  0  0  0  2  4  4  4  4  4
learning:detail@practice-sibling-event       3  0  0  0  0  0  0  0  4  4  4  4  4
learning:edit@practice                       3  2  2  2  2  4  4  4  4  4  4  4  4
learning:edit@practice-restricted            3  2  2  0  0  4  4  4  4  4  4  4  4
learning:edit@practice-no-such-section       3  0  0  0  0  4  4  4  4  4  4  4  4
learning:action-new@practice                 3  2  2  2  2  4  4  4  4  4  4  4  4
learning:action-new@practice-restricted      3  2  2  0  0  4  4  4  4  4  4  4  4
learning:move@practice                       5  5  5  5  5  5  5  5  5  5  5  5  5
learning:record@practice                     3  2  2  2  2  2  2  0  4  4  4  4  4
learning:record@practice-restricted          3  2  2  0  0  0  0  2  4  4  4  4  4
learning:lfpse@practice                      3  2  2  2  2  2  2  0  4  4  4  4  4
learning:lfpse@practice-restricted           3  2  2  0  0  0  0  2  4  4  4  4  4
learning:themes@practice                     3  2  2  2  2  2  4  4  4  4  4  4  4
learning:themes@sibling                      3  4  4  4  4  4  4  4  4  4  4  4  2
learning:themes@pcn                          3  4  4  4  4  4  4  4  4  4  4  4  4
learning:theme-project@practice              5  5  5  5  5  5  5  5  5  5  5  5  5
learning:shared@practice                     3  2  2  2  2  2  2  2  2  4  4  4  4
learning:shared@sibling                      3  4  4  4  4  4  4  4  4  4  4  4  2
learning:network@pcn                         3  4  4  4  4  4  4  4  4  2  2  4  4
learning:network@icb                         3  4  4  4  4  4  4  4  4  4  2  4  4
learning:network@practice                    3  4  4  4  4  4  4  4  4  0  0  4  4
learning:network@other-pcn                   3  4  4  4  4  4  4  4  4  4  2  4  4
survey:rounds@practice                       3  4  2  4  4  4  4  4  4  4  4  4  4
survey:rounds@pcn                            3  4  4  4  4  4  4  4  4  2  4  4  4
survey:rounds@sibling                        3  4  4  4  4  4  4  4  4  4  4  4  4
survey:rounds@icb                            3  4  4  4  4  4  4  4  4  4  4  4  4
survey:new@practice                          3  4  2  4  4  4  4  4  4  4  4  4  4
survey:new@pcn                               3  4  4  4  4  4  4  4  4  2  4  4  4
survey:round@practice                        3  4  2  4  4  4  4  4  4  4  4  4  4
survey:round@pcn                             3  4  4  4  4  4  4  4  4  2  4  4  4
survey:round@practice-network                3  4  2  4  4  4  4  4  4  4  4  4  4
survey:round@practice-sibling-round          3  4  0  4  4  4  4  4  4  4  4  4  4
survey:close@practice                        5  5  5  5  5  5  5  5  5  5  5  5  5
survey:paper@practice                        3  4  2  4  4  4  4  4  4  4  4  4  4
survey:paper@practice-network                3  4  2  4  4  4  4  4  4  4  4  4  4
survey:paper@pcn                             3  4  4  4  4  4  4  4  4  0  4  4  4
survey:results@practice                      3  4  2  4  4  4  4  4  4  4  4  4  4
survey:results@pcn                           3  4  4  4  4  4  4  4  4  2  4  4  4
survey:results@practice-network              3  4  2  4  4  4  4  4  4  4  4  4  4
survey:results@practice-sibling-round        3  4  0  4  4  4  4  4  4  4  4  4  4
survey:results-csv@practice                  3  4  2  4  4  4  4  4  4  4  4  4  4
survey:results-csv@pcn                       3  4  4  4  4  4  4  4  4  2  4  4  4
survey:answer@practice                       3  2  2  2  2  2  2  2  4  4  4  4  4
survey:answer@network                        3  2  2  2  2  2  2  2  4  4  4  4  2
survey:answer@missing                        3  0  0  0  0  0  0  0  0  0  0  0  0
"""
STATUS = {"2": 200, "3": 302, "4": 403, "0": 404, "5": 405}


def parse_matrix() -> dict[str, dict[str, int]]:
    rows = {}
    for line in MATRIX.strip().splitlines():
        name, *cells = line.split()
        assert len(cells) == len(PEOPLE), name
        rows[name] = {person: STATUS[cell] for person, cell in zip(PEOPLE, cells, strict=True)}
    return rows


ROWS = parse_matrix()


def url_for(row: str, universe, invitation_token: str) -> str:
    name, _, where = row.partition("@")
    codes = CODES
    if name == "dashboard:vega-interpreter":
        return reverse(name)
    if name == "dashboard:import-status":
        return reverse(name, args=[codes[where], "20260101-000000-abcdef"])  # no such import
    if name in (
        "dashboard:measure",
        "dashboard:action-list",
        "dashboard:action-list-csv",
        "dashboard:network-measure",
        "reidentify:download",
    ):
        place, _, measure = where.partition("-no-such-")
        return reverse(name, args=[codes[place], "no_such_measure" if measure else "pincer_a"])
    if name in ("organisations:change-role", "organisations:remove-member"):
        member = {"practice": universe.people["receptionist"], "sibling-member": universe.people["other_gp"]}[where]
        membership = Membership.objects.get(user=member)
        return reverse(name, args=[membership.organisation.code, membership.pk])
    if name == "organisations:cancel-invitation":
        return reverse(name, args=[codes[where], Invitation.objects.get(organisation__code=codes[where]).pk])
    if name == "organisations:accept-invitation":
        return reverse(name, args=[invitation_token])
    if name in ("dashboard:accept-phase", "dashboard:undo-phase"):
        return phase_url(name, where, universe)
    if name in LEARNING_EVENT_URLS:
        return learning_url(name, where, universe)
    if name == "learning:report-start":
        return reverse(name)
    if name.startswith("survey:"):
        return survey_url(name, where, universe, codes)
    if name in TEAMWORK_OBJECT_URLS:
        return teamwork_object_url(name, where, universe)
    if name in ("projects:cycle", "projects:cycle-new"):
        return pdsa_url(name, codes[where], universe)
    if name.startswith("projects:"):
        return project_url(name, codes[where], universe)
    if name.startswith("audits:"):
        return audit_url(name, codes[where], universe)
    if name.startswith("accounts:") or name in ("home", "teamwork:my-tasks"):
        return reverse(name)
    return reverse(name, args=[codes[where]])


def phase_url(name: str, where: str, universe) -> str:
    """Accepting a recalculation of Riverside's pincer_a chart, or undoing one (a phase made without the actions,
    so no audit event); "-sibling-phase": Hill Street's phase, asked for under Riverside's code."""
    from qiloop_web.dashboard.models import ChartPhase

    if name == "dashboard:accept-phase":
        return reverse(name, args=[CODES[where], "pincer_a"])
    theirs = where == "practice-sibling-phase"
    owner = universe.sibling_practice if theirs or where == "sibling" else universe.practice
    phase, _ = ChartPhase.objects.get_or_create(practice=owner, measure_id="pincer_a", starts="2025-01-01")
    code = CODES["practice"] if theirs else CODES[where]
    return reverse(name, args=[code, "pincer_a", phase.pk])


TEAMWORK_OBJECT_URLS = {
    "teamwork:task-edit",
    "teamwork:task-complete",
    "teamwork:task-delete",
    "teamwork:time-edit",
    "teamwork:time-delete",
}


def teamwork_object_url(name: str, where: str, universe) -> str:
    """A task the receptionist set themselves, or time the practice nurse recorded, at Riverside Surgery
    ("-sibling-task"/"-sibling-entry": one of Hill Street's, asked for under Riverside's code). Made without
    the actions, so no audit event is written."""
    from qiloop_web.teamwork.models import Task, TimeEntry

    theirs = where.startswith("practice-sibling")
    practice = universe.sibling_practice if theirs else universe.practice
    if name.startswith("teamwork:task-"):
        owner = universe.people["other_gp" if theirs else "receptionist"]
        found, _ = Task.objects.get_or_create(
            practice=practice, title="Matrix task", owner=owner, created_by=owner, due_on="2026-01-31"
        )
    else:
        user = universe.people["other_gp" if theirs else "practice_nurse"]
        found, _ = TimeEntry.objects.get_or_create(
            practice=practice, user=user, role="gp", meeting="Matrix", spent_on="2026-01-05", minutes=30
        )
    return reverse(name, args=["A00001", found.pk])


LEARNING_EVENT_URLS = {
    "learning:detail",
    "learning:edit",
    "learning:action-new",
    "learning:move",
    "learning:record",
    "learning:lfpse",
}


def learning_url(name: str, where: str, universe) -> str:
    """An event at Riverside Surgery reported by the receptionist; "-restricted": one about a staff member reported
    by the health secretary; "-sibling-event": one of Hill Street's, asked for under Riverside's code. Made without
    the actions, so no audit event is written."""
    from qiloop_web.learning.models import LearningEvent

    reporter, practice, restricted = {
        "practice": ("receptionist", universe.practice, False),
        "practice-no-such-section": ("receptionist", universe.practice, False),
        "practice-restricted": ("health_secretary", universe.practice, True),
        "practice-sibling-event": ("other_gp", universe.sibling_practice, False),
    }[where]
    event, _ = LearningEvent.objects.get_or_create(
        practice=practice,
        number=2 if restricted else 1,
        defaults={
            "title": "Matrix event",
            "event_type": "incident",
            "occurred_on": "2026-01-05",
            "description": "Matrix",
            "location": "11",
            "process": "8",
            "restricted": restricted,
            "reporter": universe.people[reporter],
            "reporter_role": reporter,
        },
    )
    args = ["A00001", event.pk]
    if name == "learning:edit":
        args.append("no-such-section" if where.endswith("no-such-section") else "details")
    return reverse(name, args=args)


def pdsa_url(name: str, code: str, universe) -> str:
    """A PDSA page of the universe's project under practice ``code``: starting a cycle, or a cycle (made
    without the actions, so no audit event)."""
    from qiloop_web.projects.models import PdsaCycle

    project_url("projects:detail", code, universe)  # builds the project on first use
    qi = universe.qi_project
    if name == "projects:cycle-new":
        return reverse(name, args=[code, qi.project.pk])
    cycle, _ = PdsaCycle.objects.get_or_create(project=qi.project, title="Matrix cycle", change_idea=qi.change_idea)
    return reverse(name, args=[code, qi.project.pk, cycle.pk])


@pytest.mark.parametrize("person", PEOPLE)
def test_every_page_answers_each_person_as_designed(client, universe, measured, invitation_token, person):
    if person != "anonymous":
        client.force_login(universe.people[person])
    answers = {row: client.get(url_for(row, universe, invitation_token)).status_code for row in ROWS}
    expected = {row: ROWS[row][person] for row in ROWS}
    assert answers == expected


def test_anonymous_people_are_sent_to_sign_in_with_the_page_to_return_to(client, universe):
    response = client.get(reverse("organisations:detail", args=["A00001"]))
    assert response.url == f"{reverse('accounts:sign-in')}?next=/organisations/A00001/"


def test_the_matrix_covers_every_url_pattern():
    names = set()
    for pattern in get_resolver().url_patterns:
        for inner in getattr(pattern, "url_patterns", [pattern]):
            namespace = getattr(pattern, "namespace", None)
            names.add(f"{namespace}:{inner.name}" if namespace else inner.name)
    covered = {row.partition("@")[0] for row in ROWS} | {"accounts:password-reset-confirm"}
    assert names == covered


# Writes refused: POSTs by people without the permission change nothing and write no audit event.
REFUSED_POSTS = [
    (
        "dashboard:accept-phase@practice",
        {"starts": "2025-01-01"},
        ["healthcare_assistant", "receptionist", "patient_representative", "network_qi_lead", "other_gp"],
    ),
    ("dashboard:undo-phase@practice", {}, ["receptionist", "administrator", "network_qi_lead", "other_gp"]),
    ("organisations:invite@practice", {"email": "x@example.nhs.uk", "role": "gp"}, ["gp", "receptionist", "other_gp"]),
    ("organisations:change-role@practice", {"role": "gp"}, ["gp", "network_qi_lead", "other_gp"]),
    ("organisations:settings@practice", {"share_name_with_network": "on"}, ["gp", "administrator", "other_gp"]),
    ("organisations:remove-member@practice", {}, ["gp", "network_qi_lead", "other_gp"]),
    ("organisations:cancel-invitation@practice", {}, ["gp", "receptionist", "network_qi_lead", "other_gp"]),
    ("projects:cycle@practice", {"question": "Q?", "to": "do"}, ["network_qi_lead", "administrator", "other_gp"]),
    ("projects:cycle-new@practice", {"title": "T"}, ["network_qi_lead", "icb_analyst", "other_gp"]),
    (
        "audits:new@practice",
        {"template": "pincer_nsaid"},
        ["healthcare_assistant", "receptionist", "patient_representative", "network_qi_lead", "other_gp"],
    ),
    (
        "audits:stage@practice",
        {"to": "first_collection"},
        ["health_secretary", "patient_representative", "network_qi_lead", "administrator", "other_gp"],
    ),
    (
        "audits:criterion-new@practice",
        {"statement": "s", "reference": "r", "standard_percent": "90", "standard_kind": "minimum"},
        ["receptionist", "icb_analyst", "other_gp"],
    ),
    ("audits:criterion-remove@practice", {}, ["healthcare_assistant", "network_qi_lead", "other_gp"]),
    ("audits:conclusion@practice", {"conclusion": "c"}, ["receptionist", "network_qi_lead", "other_gp"]),
    (
        "teamwork:task-create@practice",
        {"title": "x", "due_on": "2027-01-01", "status": "todo"},
        ["network_qi_lead", "icb_analyst", "administrator", "other_gp"],
    ),
    (
        "teamwork:task-edit@practice",
        {"title": "Changed", "due_on": "2027-01-01", "status": "done"},
        ["gp", "pharmacist", "network_qi_lead", "other_gp"],
    ),
    ("teamwork:task-complete@practice", {}, ["gp", "patient_representative", "network_qi_lead", "other_gp"]),
    ("teamwork:task-delete@practice", {}, ["gp", "network_qi_lead", "other_gp"]),
    (
        "teamwork:time-create@practice",
        {"spent_on": "2026-01-01", "minutes": "30", "meeting": "x"},
        ["network_qi_lead", "icb_analyst", "other_gp"],
    ),
    (
        "teamwork:time-edit@practice",
        {"spent_on": "2026-01-01", "minutes": "600", "meeting": "x"},
        ["gp", "receptionist", "other_gp"],
    ),
    ("teamwork:time-delete@practice", {}, ["gp", "network_qi_lead", "other_gp"]),
    ("reidentify:key@practice", {"key": "k" * 32}, ["gp", "administrator", "network_qi_lead", "other_gp"]),
    ("reidentify:remove-key@practice", {"confirm": "on"}, ["gp", "administrator", "other_gp"]),
    (
        "reidentify:download@practice",
        {},
        ["healthcare_assistant", "receptionist", "network_qi_lead", "icb_analyst", "administrator", "other_gp"],
    ),
    (
        "learning:new@practice",
        {
            "title": "x",
            "event_type": "risk",
            "occurred_on_day": "1",
            "occurred_on_month": "1",
            "occurred_on_year": "2026",
            "location": "11",
            "process": "1",
            "description": "x",
        },
        ["patient_representative", "network_qi_lead", "icb_analyst", "other_gp"],
    ),
    (
        "learning:edit@practice",
        {"title": "Changed"},
        ["healthcare_assistant", "receptionist", "network_qi_lead", "other_gp"],
    ),
    (
        "learning:action-new@practice",
        {"title": "x"},
        ["receptionist", "health_secretary", "network_qi_lead", "other_gp"],
    ),
    (
        "learning:move@practice",
        {"to": "triaged"},
        ["receptionist", "healthcare_assistant", "network_qi_lead", "other_gp"],
    ),
    (
        "learning:theme-project@practice",
        {"title": "x", "factors": "tasks"},
        ["receptionist", "network_qi_lead", "other_gp"],
    ),
    ("survey:new@practice", {"title": "x", "closes_on": "2099-01-01"}, ["gp", "network_qi_lead", "other_gp"]),
    ("survey:close@practice", {}, ["gp", "receptionist", "network_qi_lead", "other_gp"]),
    ("survey:close@pcn", {}, ["practice_manager", "icb_analyst", "administrator"]),
    ("survey:paper@practice", {"ease": "agree"}, ["gp", "network_qi_lead", "other_gp"]),
    ("survey:answer@practice", {"ease": "agree"}, ["patient_representative", "network_qi_lead", "other_gp"]),
]


@pytest.mark.parametrize(("row", "data", "people"), REFUSED_POSTS)
def test_refused_writes_change_nothing(client, universe, invitation_token, row, data, people):
    from qiloop_web.dashboard.models import ChartPhase

    url = url_for(row, universe, invitation_token)  # may first build what the row needs (with its audit events)
    before = AuditEvent.objects.count()
    phases_before = list(ChartPhase.objects.values_list("pk", "starts"))
    for person in people:
        client.force_login(universe.people[person])
        assert client.post(url, data).status_code == 403, person
    assert AuditEvent.objects.count() == before
    assert list(ChartPhase.objects.values_list("pk", "starts")) == phases_before
    assert Organisation.objects.get(code="A00001").share_name_with_network is False
    assert Membership.objects.get(user=universe.people["receptionist"]).role == "receptionist"
    assert Membership.objects.filter(organisation__code="A00001").count() == 8
    assert not Invitation.objects.filter(cancelled_at__isnull=False).exists()
    assert not PracticeKey.objects.exists()

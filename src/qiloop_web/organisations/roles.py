"""Permissions and roles, in code.

A role grants a set of permissions in the organisation where it is held
(``here``) and, for network and administrative roles, a set over the
organisations beneath it (``beneath``). Patient-level permissions are only
ever granted ``here`` and only in a practice: nobody inherits them from a
PCN or ICB role, and a patient representative never has them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.db import models


class Permission(enum.Enum):
    VIEW_ORGANISATION = "view_organisation"  # the organisation page and its member list
    VIEW_DASHBOARD = "view_dashboard"  # the practice's measures as aggregates
    VIEW_PATIENT_LEVEL = "view_patient_level"  # action lists of pseudonymous patients
    DOWNLOAD_ACTION_LIST = "download_action_list"  # CSV download of an action list
    INVITE_MEMBERS = "invite_members"
    MANAGE_MEMBERS = "manage_members"  # change roles, remove people
    IMPORT_DATA = "import_data"
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_PRACTICE_SETTINGS = "manage_practice_settings"
    VIEW_NETWORK = "view_network"  # suppressed aggregates across a PCN or ICB
    MANAGE_ORGANISATIONS = "manage_organisations"  # create PCNs and practices beneath
    VIEW_PROJECTS = "view_projects"  # QI projects, driver diagrams, PDSA cycles (never patient-level)
    EDIT_PROJECTS = "edit_projects"  # create and change QI projects, tasks, and record QI time
    RECALCULATE_CHARTS = "recalculate_charts"  # accept or undo a new phase (recalculated limits) on measure charts
    REPORT_LEARNING_EVENT = "report_learning_event"  # report a significant / learning event
    VIEW_LEARNING_EVENTS = "view_learning_events"  # the practice's learning events (restricted ones: see permissions)
    VIEW_RESTRICTED_LEARNING_EVENTS = "view_restricted_learning_events"  # events about a staff member, too
    MANAGE_LEARNING_EVENTS = "manage_learning_events"  # triage, analyse, agree actions, review and close events
    ANSWER_SURVEYS = "answer_surveys"  # answer the staff QI survey (practice staff; not patient representatives)
    MANAGE_SURVEYS = "manage_surveys"  # open, close and read staff QI survey rounds (practice manager, network lead)
    VIEW_CLINICAL_AUDITS = "view_clinical_audits"  # the practice's clinical audit cycles and reports (counts only)
    MANAGE_CLINICAL_AUDITS = "manage_clinical_audits"  # create audits, criteria, collections, changes, conclusions


PATIENT_LEVEL = frozenset({Permission.VIEW_PATIENT_LEVEL, Permission.DOWNLOAD_ACTION_LIST})
# A practice's own QI work: pages titled with its name, showing its exact (unsuppressed) counts.
# Never inherited from a PCN or ICB role, so network roles see a practice only as network aggregates.
PRACTICE_ONLY = PATIENT_LEVEL | {
    Permission.VIEW_PROJECTS,
    Permission.EDIT_PROJECTS,
    Permission.ANSWER_SURVEYS,
    Permission.VIEW_CLINICAL_AUDITS,
    Permission.MANAGE_CLINICAL_AUDITS,
}
# A practice's learning events are its own too: a network sees only what a practice chose to share, and
# network-level theme counts (qiloop_web.learning), never a practice's events.
LEARNING = frozenset(
    {
        Permission.REPORT_LEARNING_EVENT,
        Permission.VIEW_LEARNING_EVENTS,
        Permission.VIEW_RESTRICTED_LEARNING_EVENTS,
        Permission.MANAGE_LEARNING_EVENTS,
    }
)
PRACTICE_ONLY = PRACTICE_ONLY | LEARNING


class Role(models.TextChoices):
    GP = "gp", "GP"
    PRACTICE_MANAGER = "practice_manager", "Practice manager"
    PRACTICE_NURSE = "practice_nurse", "Practice nurse"
    PHARMACIST = "pharmacist", "Pharmacist"
    HEALTHCARE_ASSISTANT = "healthcare_assistant", "Healthcare assistant"
    RECEPTIONIST = "receptionist", "Receptionist / care navigator"
    HEALTH_SECRETARY = "health_secretary", "Health secretary"
    PATIENT_REPRESENTATIVE = "patient_representative", "Patient representative"
    NETWORK_QI_LEAD = "network_qi_lead", "Network QI lead"
    ICB_ANALYST = "icb_analyst", "ICB analyst"
    ADMINISTRATOR = "administrator", "Administrator"


@dataclass(frozen=True)
class RoleDefinition:
    role: Role
    kinds: frozenset[str]  # organisation kinds where the role can be held
    here: frozenset[Permission]
    beneath: frozenset[Permission] = frozenset()

    def __post_init__(self) -> None:
        if self.beneath & PRACTICE_ONLY:
            raise ValueError(f"{self.role}: patient-level and project permissions can never be inherited")
        if self.here & PATIENT_LEVEL and self.kinds != {"practice"}:
            raise ValueError(f"{self.role}: patient-level permissions only exist inside a practice")


P = Permission
PRACTICE = frozenset({"practice"})
# Every member of a practice team, patient representatives included, takes part in QI projects.
_TEAM = frozenset({P.VIEW_ORGANISATION, P.VIEW_DASHBOARD, P.VIEW_PROJECTS, P.EDIT_PROJECTS, P.VIEW_CLINICAL_AUDITS})
# Every practice role but the patient representative answers the staff survey (it is about the staff's work).
_STAFF = _TEAM | {P.ANSWER_SURVEYS}
# Recalculating a measure chart's limits changes what the whole practice reads from it: the clinicians and the
# practice manager who answer for the measures decide, not every member of the team.
# A clinical audit sets clinical standards and records what the records say against them: the clinicians and the
# practice manager run it; the whole team reads it (counts only, never patients).
_CLINICAL = _STAFF | {P.VIEW_PATIENT_LEVEL, P.DOWNLOAD_ACTION_LIST, P.RECALCULATE_CHARTS, P.MANAGE_CLINICAL_AUDITS}
# Learning events: everyone but patient representatives reports; clinicians and the practice manager see them
# all (restricted ones aside) and run the analysis; reception and secretaries see the events they reported.
_REPORTS = frozenset({P.REPORT_LEARNING_EVENT})
_LEARNS = _REPORTS | {P.VIEW_LEARNING_EVENTS, P.MANAGE_LEARNING_EVENTS}
# An event marked restricted (about a staff member) opens for the practice manager and the GPs (and its reporter).
_RESTRICTED = frozenset({P.VIEW_RESTRICTED_LEARNING_EVENTS})
_ADMIN = frozenset(
    {P.VIEW_ORGANISATION, P.INVITE_MEMBERS, P.MANAGE_MEMBERS, P.VIEW_AUDIT_LOG, P.IMPORT_DATA, P.MANAGE_ORGANISATIONS}
)

ROLES: dict[Role, RoleDefinition] = {
    d.role: d
    for d in [
        RoleDefinition(Role.GP, PRACTICE, _CLINICAL | _LEARNS | _RESTRICTED),
        RoleDefinition(
            Role.PRACTICE_MANAGER,
            PRACTICE,
            _CLINICAL
            | _LEARNS
            | _RESTRICTED
            | {
                P.INVITE_MEMBERS,
                P.MANAGE_MEMBERS,
                P.IMPORT_DATA,
                P.VIEW_AUDIT_LOG,
                P.MANAGE_PRACTICE_SETTINGS,
                P.MANAGE_SURVEYS,
            },
        ),
        RoleDefinition(Role.PRACTICE_NURSE, PRACTICE, _CLINICAL | _LEARNS),
        RoleDefinition(Role.PHARMACIST, PRACTICE, _CLINICAL | _LEARNS),
        # Healthcare assistants work from the lists (recalls, checks) but do not export them.
        RoleDefinition(
            Role.HEALTHCARE_ASSISTANT, PRACTICE, _STAFF | _REPORTS | {P.VIEW_PATIENT_LEVEL, P.VIEW_LEARNING_EVENTS}
        ),
        RoleDefinition(Role.RECEPTIONIST, PRACTICE, _STAFF | _REPORTS),
        RoleDefinition(Role.HEALTH_SECRETARY, PRACTICE, _STAFF | _REPORTS),
        RoleDefinition(Role.PATIENT_REPRESENTATIVE, PRACTICE, _TEAM),
        RoleDefinition(
            Role.NETWORK_QI_LEAD,
            frozenset({"pcn", "icb"}),
            # A network-wide staff survey round is opened and read here (pooled, suppressed figures only).
            frozenset({P.VIEW_ORGANISATION, P.VIEW_NETWORK, P.INVITE_MEMBERS, P.MANAGE_SURVEYS}),
            # Network aggregates only: a practice's projects, tasks and QI time (titled with its name,
            # charts of its exact monthly counts) stay with the practice (docs/security.md).
            beneath=frozenset({P.VIEW_NETWORK}),
        ),
        RoleDefinition(
            Role.ICB_ANALYST,
            frozenset({"icb"}),
            frozenset({P.VIEW_ORGANISATION, P.VIEW_NETWORK, P.IMPORT_DATA}),
            beneath=frozenset({P.VIEW_NETWORK}),
        ),
        RoleDefinition(Role.ADMINISTRATOR, frozenset({"icb", "pcn", "practice"}), _ADMIN, beneath=_ADMIN),
    ]
}

# Roles only an administrator may give (everyone else with INVITE_MEMBERS may give the rest).
ADMINISTRATOR_ONLY = frozenset({Role.ADMINISTRATOR})


def definition(role: str) -> RoleDefinition:
    return ROLES[Role(role)]

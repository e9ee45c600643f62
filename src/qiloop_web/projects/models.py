"""QI projects: aim, team, measures, driver diagram, fishbone, process map and PDSA cycles.

A project belongs to one practice. Its aim (what, by how much, by when) is
the root of the driver diagram, so it lives on ``Project`` and the diagram's
nodes hang beneath it. Every change goes through ``projects.actions`` (or
``projects.pdsa_actions`` for cycles), which checks the rules a person can
break and writes an audit event; the database constraints here are the
backstop for the rules a bug could break.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from qiloop.improvement import pdsa
from qiloop_web.organisations.models import Organisation


class Status(models.TextChoices):
    # An idea the team has written down but not started on.
    IDEA = "idea", "Idea"
    # The team is testing changes (PDSA cycles) and collecting data.
    ACTIVE = "active", "Active"
    # The changes are adopted; the team is checking the improvement holds.
    SUSTAINING = "sustaining", "Sustaining"
    # Finished, with a reflection on what was learnt.
    CLOSED = "closed", "Closed"


class Project(models.Model):
    practice = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="projects")
    title = models.CharField(max_length=200)
    # The qiloop.improvement.templates key the project started from; blank for a blank project.
    template_key = models.CharField(max_length=64, blank=True)
    aim_what = models.CharField(max_length=300, blank=True)
    aim_how_much = models.CharField(max_length=200, blank=True)
    aim_by = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IDEA)
    closing_reflection = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(closing_reflection=""),
                name="project_closed_has_reflection",
            )
        ]

    def __str__(self) -> str:
        return self.title


class ProjectMember(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships")
    # Free text: "lead", "member", "patient voice", "data"...
    role_in_project = models.CharField(max_length=100, blank=True, default="member")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="one_project_member_per_person")]

    def __str__(self) -> str:
        return f"{self.user} in {self.project}"


class MeasureRole(models.TextChoices):
    # Does the system do what we want for patients? (the aim's measure)
    OUTCOME = "outcome", "Outcome"
    # Are we doing the things we think will improve the outcome?
    PROCESS = "process", "Process"
    # Is the change making something else worse?
    BALANCING = "balancing", "Balancing"


class ProjectMeasure(models.Model):
    """A measure the project watches: a library measure from the practice's results, or a series entered by hand.

    ``library_measure_id`` names a measure in the measure library; when it is
    blank the measure is a manual series whose points are ``ManualPoint`` rows.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="measures")
    role = models.CharField(max_length=16, choices=MeasureRole.choices)
    title = models.CharField(max_length=200)
    library_measure_id = models.CharField(max_length=100, blank=True)
    unit = models.CharField(max_length=50, blank=True)
    low_is_good = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_manual(self) -> bool:
        return not self.library_measure_id


class ManualPoint(models.Model):
    """One point of a hand-entered series: a value (a count, or numerator/denominator as a proportion) on a date."""

    measure = models.ForeignKey(ProjectMeasure, on_delete=models.CASCADE, related_name="points")
    date = models.DateField()
    value = models.FloatField()
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "date"], name="one_manual_point_per_date"),
            models.CheckConstraint(
                condition=models.Q(numerator__isnull=True, denominator__isnull=True)
                | models.Q(
                    numerator__isnull=False,
                    denominator__isnull=False,
                    numerator__gte=0,
                    denominator__gt=0,
                    numerator__lte=models.F("denominator"),
                ),
                name="manual_point_fraction_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure}: {self.date} {self.value}"


class NodeKind(models.TextChoices):
    # What most directly drives the aim.
    PRIMARY = "primary", "Primary driver"
    # What drives a primary driver.
    SECONDARY = "secondary", "Secondary driver"
    # A change the team could test (in a PDSA cycle) to move a driver.
    CHANGE_IDEA = "change_idea", "Change idea"


class DriverNode(models.Model):
    """A node of the driver diagram. The aim (on ``Project``) is the root; primary drivers have no parent."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="driver_nodes")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    kind = models.CharField(max_length=16, choices=NodeKind.choices)
    text = models.CharField(max_length=300)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text


class FishboneCategory(models.TextChoices):
    PEOPLE = "people", "People"
    METHODS = "methods", "Methods and processes"
    EQUIPMENT = "equipment", "Equipment"
    ENVIRONMENT = "environment", "Environment"
    MATERIALS = "materials", "Materials and information"
    POLICIES = "policies", "Policies"


class FishboneCause(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="fishbone_causes")
    category = models.CharField(max_length=16, choices=FishboneCategory.choices)
    text = models.CharField(max_length=300)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["category", "order", "id"]

    def __str__(self) -> str:
        return self.text


class ProcessStep(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="process_steps")
    order = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=300)
    owner = models.CharField(max_length=100, blank=True)
    pain_point = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text


# The PDSA stages and decisions are the library's (qiloop.improvement.pdsa, where each is explained);
# the labels are the values in title case: "Plan", "Do", "Study", "Act", "Done"; "Adopt", "Adapt", "Abandon".
Stage = models.TextChoices("Stage", [(s.name, (s.value, s.value.title())) for s in pdsa.Stage])
Decision = models.TextChoices("Decision", [(d.name, (d.value, d.value.title())) for d in pdsa.Decision])


class PdsaCycle(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="cycles")
    change_idea = models.ForeignKey(DriverNode, null=True, blank=True, on_delete=models.SET_NULL, related_name="cycles")
    # The cycle this one follows on from: cycles chain into ramps.
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_cycles")
    title = models.CharField(max_length=200)
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.PLAN)
    # Plan
    question = models.TextField(blank=True)
    prediction = models.TextField(blank=True)
    who = models.TextField(blank=True)
    when = models.TextField(blank=True)
    where = models.TextField(blank=True)
    data_to_collect = models.TextField(blank=True)
    # Do
    what_happened = models.TextField(blank=True)
    observations = models.TextField(blank=True)
    # Study
    results = models.TextField(blank=True)
    # Act
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    next_step = models.TextField(blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    # An adopted change can start a new phase on the project's charts (new centre line and limits).
    new_phase = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title

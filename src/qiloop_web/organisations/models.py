"""Organisations (ICB -> PCN -> practice), memberships and invitations.

One ``Organisation`` model with a ``kind`` and a ``parent`` rather than three
models: memberships, invitations, permissions and audit events all refer to
"an organisation" without caring which kind, and walking up the tree for
inherited permissions is one loop. The allowed shapes (an ICB has no parent,
a PCN's parent is an ICB, a practice's parent is a PCN) are checked by the
create action and, where a database can check it, by a constraint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from django.conf import settings
from django.db import models
from django.utils import timezone

from qiloop_web.organisations.roles import Role


class Kind(models.TextChoices):
    ICB = "icb", "Integrated care board"
    PCN = "pcn", "Primary care network"
    PRACTICE = "practice", "GP practice"


PARENT_KIND = {Kind.ICB: None, Kind.PCN: Kind.ICB, Kind.PRACTICE: Kind.PCN}
# "a ..." phrases for messages.
A_KIND = {Kind.ICB: "an integrated care board", Kind.PCN: "a primary care network", Kind.PRACTICE: "a GP practice"}


class Organisation(models.Model):
    # The ODS-like code, the same as practice_id / pcn_id / icb_id in the analytics store.
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Practice setting: may network leads see this practice's name? Off until the practice agrees.
    share_name_with_network = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind=Kind.ICB, parent__isnull=True)
                | models.Q(kind__in=[Kind.PCN, Kind.PRACTICE], parent__isnull=False),
                name="organisation_parent_matches_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_practice(self) -> bool:
        return self.kind == Kind.PRACTICE

    def ancestors(self) -> Iterator[Organisation]:
        """Parent, grandparent, ... (at most two for ICB -> PCN -> practice)."""
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def descendants(self) -> models.QuerySet[Organisation]:
        return Organisation.objects.filter(models.Q(parent=self) | models.Q(parent__parent=self))


class Membership(models.Model):
    """A person's role in one organisation (one role per person per organisation)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation__name", "user__full_name"]
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_organisation")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organisation}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """An invitation to join an organisation with a role; usable once, until it expires.

    Only a hash of the token is stored; the token itself is in the link sent by e-mail.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=32, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} as {self.get_role_display()} at {self.organisation}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_accepted(self) -> bool:
        return self.accepted_at is not None

    def is_expired(self, now: object = None) -> bool:
        return (now or timezone.now()) >= self.expires_at

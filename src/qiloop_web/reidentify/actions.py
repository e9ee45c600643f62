"""Holding a practice's key in the workbench, and removing it: each in a transaction with an audit event.

The audit events say that a key was entered or removed and by whom, never the
key. Views check MANAGE_PRACTICE_SETTINGS first; the actions re-check that the
organisation is a practice and the key is long enough.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from qiloop.records.pseudonym import MIN_KEY_BYTES
from qiloop_web.accounts.models import User
from qiloop_web.audit import log
from qiloop_web.organisations.models import Organisation
from qiloop_web.reidentify import sealing
from qiloop_web.reidentify.models import PracticeKey


class PracticeKeyError(Exception):
    """A rule about holding a key was broken; the message is for the person."""


def normalise_key(text: str) -> bytes:
    """The key as ``qiloop import --key-file`` reads it: surrounding whitespace removed, UTF-8 bytes."""
    return text.strip().encode("utf-8")


def hold_key(*, practice: Organisation, key: bytes, by: User | None) -> PracticeKey:
    """Keep ``key`` (sealed) for ``practice``, replacing any key held before."""
    if not practice.is_practice:
        raise PracticeKeyError("Only a practice has a pseudonymisation key.")
    if len(key) < MIN_KEY_BYTES:
        raise PracticeKeyError(
            f"That is too short to be the practice's key (a key has at least {MIN_KEY_BYTES} characters)."
        )
    with transaction.atomic():
        replaced = PracticeKey.objects.filter(practice=practice).exists()
        held, _ = PracticeKey.objects.update_or_create(
            practice=practice,
            defaults={
                "sealed": sealing.seal(key, practice.code),
                "entered_by": getattr(by, "email", "") or "",
                "entered_at": timezone.now(),
            },
        )
        log.record(
            by=by,
            action="practice.key_held",
            target_type="organisation",
            target_id=practice.code,
            organisation=practice,
            detail={"replaced": replaced},
        )
    return held


def remove_key(*, practice: Organisation, by: User | None) -> None:
    """Forget ``practice``'s key; NHS numbers can then be added only on the practice's own machine."""
    with transaction.atomic():
        deleted, _ = PracticeKey.objects.filter(practice=practice).delete()
        if not deleted:
            raise PracticeKeyError("The workbench does not hold this practice's key.")
        log.record(
            by=by,
            action="practice.key_removed",
            target_type="organisation",
            target_id=practice.code,
            organisation=practice,
        )


def held_key(practice: Organisation) -> bytes | None:
    """The practice's key if the workbench holds it (raises ``sealing.SealError`` when it cannot be read)."""
    found = PracticeKey.objects.filter(practice=practice).first()
    return None if found is None else sealing.unseal(found.sealed, practice.code)


def holds_key(practice: Organisation) -> bool:
    return PracticeKey.objects.filter(practice=practice).exists()

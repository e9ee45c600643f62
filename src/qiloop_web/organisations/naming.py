"""How a practice is named to someone looking at it from a network (PCN or ICB) view.

A practice is named to people who belong to it, and to everyone else only
when it has turned on "share practice name with network". Otherwise it is
labelled "Practice A", "Practice B", ... in an order that is fixed for the
network but does not follow codes or names (a keyed hash of the code), so
the label does not give the practice away.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings

from qiloop_web.organisations.models import Membership, Organisation


def _letters(index: int) -> str:
    label = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        label = chr(ord("A") + remainder) + label
    return label


def _shuffle_key(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def anonymous_labels(practices: list[Organisation]) -> dict[str, str]:
    """A stable "Practice X" label for each practice code in a network."""
    ordered = sorted(practices, key=lambda p: _shuffle_key(p.code))
    return {p.code: f"Practice {_letters(i)}" for i, p in enumerate(ordered)}


def practice_labels(viewer: Any, practices: list[Organisation]) -> dict[str, str]:
    """The name each practice should be shown by to ``viewer``."""
    own = set(
        Membership.objects.filter(user=viewer, organisation__in=practices).values_list("organisation__code", flat=True)
    )
    anonymous = anonymous_labels(practices)
    return {p.code: p.name if (p.share_name_with_network or p.code in own) else anonymous[p.code] for p in practices}

"""How a practice is named to someone looking at it from a network (PCN or ICB) view.

A practice is named to people who belong to it, and to everyone else only
when it has turned on "share practice name with network". Otherwise it is
labelled "Practice A", "Practice B", ... in an order that does not follow
codes or names (a keyed hash of the code), so the label does not give the
practice away.

The order is drawn afresh for each ``context`` — network views pass the
measure and the results' fingerprint — so "Practice C" on one measure's
funnel is not "Practice C" on another's, nor after the next import. Someone
who ties a label to a practice on one page (say, by a denominator matching
its published list size) learns nothing about that practice on any other.
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


def _shuffle_key(code: str, context: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{context}\x1f{code}".encode(), hashlib.sha256).hexdigest()


def anonymous_labels(practices: list[Organisation], context: str = "") -> dict[str, str]:
    """A "Practice X" label for each practice code in a network: the same within one ``context``, drawn afresh
    for another."""
    ordered = sorted(practices, key=lambda p: _shuffle_key(p.code, context))
    return {p.code: f"Practice {_letters(i)}" for i, p in enumerate(ordered)}


def own_practices(viewer: Any, practices: list[Organisation]) -> set[str]:
    """The codes of the practices among ``practices`` that ``viewer`` is a member of."""
    return set(
        Membership.objects.filter(user=viewer, organisation__in=practices).values_list("organisation__code", flat=True)
    )


def practice_labels(
    viewer: Any, practices: list[Organisation], context: str = "", *, own: set[str] | None = None
) -> dict[str, str]:
    """The name each practice should be shown by to ``viewer`` (anonymous labels drawn for ``context``);
    ``own``: the viewer's own practices among them, when already looked up (:func:`own_practices`)."""
    own = own_practices(viewer, practices) if own is None else own
    anonymous = anonymous_labels(practices, context)
    return {p.code: p.name if (p.share_name_with_network or p.code in own) else anonymous[p.code] for p in practices}

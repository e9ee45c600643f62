"""The action list a practice sees, with NHS numbers added from a file it uploads: computed, returned, forgotten."""

from __future__ import annotations

from django.conf import settings

from qiloop.measures.actions import compute_action_list
from qiloop.measures.model import Measure
from qiloop.records.reidentify import Reidentified, reidentify
from qiloop_web.dashboard import pages
from qiloop_web.organisations.models import Organisation


def with_nhs_numbers(practice: Organisation, measure: Measure, key: bytes, data: bytes, name: str) -> Reidentified:
    """The action list the page shows (the results' latest month) with ``nhs_number`` from the uploaded ``data``.

    Raises ``QiloopError`` (with a message fit to show: NHS numbers masked) for a file or key that does not fit.
    """
    loaded = pages.results()
    on = str(loaded.manifest.get("end")) if loaded else None
    table = compute_action_list(str(settings.QILOOP_STORE), measure, practice.code, on=on).csv_table()
    return reidentify(table, settings.QILOOP_STORE, practice.code, key, data, name=name)

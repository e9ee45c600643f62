"""Create the organisation tree from a ``practices`` table (the canonical extract's practices file).

Each row names a practice, its PCN and its ICB (``practice_id, name, pcn_id,
pcn_name, icb_id, icb_name``). Organisations that already exist with the same
place in the tree are left as they are; a row that contradicts the tree (a
PCN under two ICBs, a code used for two kinds) is an error naming its line,
and then nothing is created.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from qiloop.records.schema import UNKNOWN as NOT_RECORDED
from qiloop.records.store import write_practices
from qiloop_web.organisations import actions
from qiloop_web.organisations.models import Kind, Organisation

COLUMNS = ("practice_id", "name", "pcn_id", "pcn_name", "icb_id", "icb_name")


class PracticesFileError(Exception):
    """The practices file cannot be loaded; the message says where and what to do."""


@dataclass
class LoadSummary:
    created: dict[str, int]
    unchanged: int


def read_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise PracticesFileError(f"{path}: no such file. Give the practices table (CSV or Parquet) of an extract.")
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        header = list(table.column_names)
        rows = [{k: "" if v is None else str(v) for k, v in row.items()} for row in table.to_pylist()]
    else:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = list(reader.fieldnames or [])
            rows = [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise PracticesFileError(
            f"{path}, line 1: the header lacks {', '.join(missing)}. "
            f"A practices table has the columns {', '.join(COLUMNS)}."
        )
    return rows


def _ensure(
    kind: Kind, code: str, name: str, parent: Organisation | None, where: str, counts: dict[str, int]
) -> Organisation:
    existing = Organisation.objects.filter(code=code).select_related("parent").first()
    if existing is None:
        counts[kind.value] += 1
        return actions.create_organisation(kind=kind, code=code, name=name, parent=parent, by=None)
    if existing.kind != kind:
        raise PracticesFileError(f"{where}: {code} is used as a {kind.label.lower()} but is already a {existing.kind}.")
    if parent is not None and existing.parent_id != parent.pk:
        raise PracticesFileError(
            f"{where}: {code} belongs to {existing.parent.code if existing.parent else 'nothing'}, not {parent.code}."
        )
    return existing


def load_practices(path: Path, within: str | None = None) -> LoadSummary:
    """``within``: the code of the ICB importing the practices, for those whose ICB the file does not give."""
    rows = read_rows(path)
    counts = {kind.value: 0 for kind in Kind}
    before = set(Organisation.objects.values_list("code", flat=True))
    named: set[str] = set()
    with transaction.atomic():
        for number, row in enumerate(rows, start=2):
            where = f"{path}, line {number}"
            blank = [c for c in COLUMNS if not row.get(c)]
            if blank:
                raise PracticesFileError(f"{where}: {', '.join(blank)} is empty. Every column needs a value.")
            if UNKNOWN in (row["pcn_id"].upper(), row["icb_id"].upper()):
                named |= _place_unknown(row, within, where, counts)
                continue
            icb = _ensure(Kind.ICB, row["icb_id"].upper(), row["icb_name"], None, where, counts)
            pcn = _ensure(Kind.PCN, row["pcn_id"].upper(), row["pcn_name"], icb, where, counts)
            _ensure(Kind.PRACTICE, row["practice_id"].upper(), row["name"], pcn, where, counts)
            named |= {icb.code, pcn.code, row["practice_id"].upper()}
    return LoadSummary(created=counts, unchanged=len(named & before))


# what an extract converted from another system (EMIS Web, SystmOne, FHIR, ehrQL) says for a practice's PCN and
# ICB: those systems do not hold them
UNKNOWN = NOT_RECORDED.upper()


def _place_unknown(row: dict[str, str], within: str | None, where: str, counts: dict[str, int]) -> set[str]:
    """A practice whose PCN or ICB the file does not give: left where the tree has it, else placed in a PCN for
    practices of unknown PCN, under the importing ICB (``within``) or the ICB the row names, or an ICB for
    practices of unknown ICB. The codes named."""
    code = row["practice_id"].upper()
    existing = Organisation.objects.filter(code=code).first()
    if existing is not None:
        if existing.kind != Kind.PRACTICE:
            raise PracticesFileError(f"{where}: {code} is used as a practice but is already a {existing.kind}.")
        return {code}  # the tree knows its PCN and ICB; the file does not say otherwise
    if row["icb_id"].upper() != UNKNOWN:
        icb = _ensure(Kind.ICB, row["icb_id"].upper(), row["icb_name"], None, where, counts)
    elif within is not None:
        icb = _ensure(Kind.ICB, within, within, None, where, counts)
    else:
        icb = _ensure(Kind.ICB, UNKNOWN, "ICB not given in the extract", None, where, counts)
    if row["pcn_id"].upper() != UNKNOWN:
        pcn = _ensure(Kind.PCN, row["pcn_id"].upper(), row["pcn_name"], icb, where, counts)
    else:
        pcn = _ensure(Kind.PCN, f"{icb.code}-{UNKNOWN}", "PCN not given in the extract", icb, where, counts)
    _ensure(Kind.PRACTICE, code, row["name"], pcn, where, counts)
    return {icb.code, pcn.code, code}


def load_store_practices(store: Path, within: str | None = None) -> LoadSummary:
    """Create the ICBs, PCNs and practices in the analytics store's practices table (idempotent); ``within``: the
    importing ICB, for practices whose ICB the store does not give."""
    with tempfile.TemporaryDirectory(prefix="qiloop-practices-") as folder:
        path = Path(folder) / "practices.parquet"
        write_practices(store, path)
        return load_practices(path, within)

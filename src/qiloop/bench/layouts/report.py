"""A canonical extract written out as the report exports a practice builds itself, laid out by a report profile.

:func:`write_report` writes one practice's report at an as-of date as the profile describes it (EMIS Web: a
few lines about the search above the header; SystmOne: the header on line 1), with the columns a real report
would also hold and qiloop never reads (name, NHS number, address, telephone) filled with ``personal``. The
report's search is every patient registered at the practice and alive on the as-of date with an event of the
profile's first column group in the 6 months before it (a superset of the audits' populations); each column
group shows the patient's latest event from its code list on or before ``months_ago`` months before the as-of
date. It returns the rows the report carries, for the round-trip tests (tests/records/test_convert_report.py).

:func:`write` (the layouts package's contract) writes every shipped profile's report for the extract's first
practice at the extract's last event date.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from qiloop.codelists.registry import load
from qiloop.measures.dates import Offset, months_before
from qiloop.records.report_profiles import Profile, load_profile, shipped_profiles

SEX_LABELS = {"female": "Female", "male": "Male", "intersex": "Indeterminate", "unknown": "Unknown"}
SEARCH_MONTHS = 6


@dataclass
class Carried:
    """What a written report carries, as canonical rows."""

    as_of: dt.date
    practice_id: str
    patients: dict[int, tuple[dt.date | None, int, str]] = field(default_factory=dict)  # id -> (dob, age, sex)
    registrations: dict[int, dt.date | None] = field(default_factory=dict)  # id -> start date shown (None: not shown)
    events: dict[str, set[tuple[int, dt.date, str]]] = field(default_factory=dict)  # table -> (id, date, code)


def _table(extract: Path, name: str) -> list[dict[str, str]]:
    """The table's rows, every cell as text ("" when empty)."""
    if (extract / f"{name}.parquet").exists():
        frame = pd.read_parquet(extract / f"{name}.parquet").astype(str)
    elif (extract / f"{name}.csv").exists():
        frame = pd.read_csv(extract / f"{name}.csv", dtype=str)
    else:
        return []
    frame = frame.fillna("").replace({"nan": "", "None": "", "NaT": "", "<NA>": ""})
    return [{str(k): str(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _day(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text[:10]) if text else None


def _age(dob: dt.date, ref: dt.date) -> int:
    return ((ref.year - dob.year) * 12 + ref.month - dob.month - (1 if ref.day < dob.day else 0)) // 12


def write_report(
    extract: Path,
    out_path: Path,
    profile: Profile | str,
    *,
    practice_id: str,
    as_of: dt.date,
    personal: str = "Synthetic",
) -> Carried:
    """Write ``practice_id``'s report at ``as_of`` laid out by ``profile`` to ``out_path``; return what it carries."""
    chosen = profile if isinstance(profile, Profile) else load_profile(profile)
    carried = Carried(as_of, practice_id)
    registered: dict[int, tuple[dt.date, dt.date, str]] = {}
    for r in _table(extract, "practice_registrations"):
        start, end = _day(r["start_date"]), _day(r["end_date"])
        assert start is not None
        if start <= as_of and (end is None or end >= as_of):
            key = (start, end or dt.date.max, r["practice_id"])
            pid = int(r["patient_id"])
            # the engine's registration on a day: latest start, then latest end, then lowest practice id
            best = registered.get(pid)
            if best is None or (key[0], key[1], best[2]) > (best[0], best[1], key[2]):
                registered[pid] = key
    patients = {int(p["patient_id"]): p for p in _table(extract, "patients")}
    latest: list[dict[int, tuple[dt.date, str]]] = []
    for group in chosen.events:
        codes = load(group.codelist).codes if group.codelist else {group.code}
        table = _table(extract, group.table)
        code_column = "dmd_code" if group.table == "medications" else "snomedct_code"
        until = months_before(as_of, group.months_ago) if group.months_ago else as_of
        found: dict[int, tuple[dt.date, str]] = {}
        for row in table:
            code = row[code_column]
            day = _day(row["date"])
            if code in codes and day is not None and day <= until:
                pid = int(row["patient_id"])
                if pid not in found or (day, code) > found[pid]:
                    found[pid] = (day, code)
        latest.append(found)
    since = Offset(SEARCH_MONTHS, 1).apply(as_of)
    chosen_ids = sorted(
        pid
        for pid, (_, _, practice) in registered.items()
        if practice == practice_id
        and not (_day(patients[pid]["date_of_death"]) or dt.date.max) <= as_of
        and pid in latest[0]
        and latest[0][pid][0] > since
    )
    header, rows = _lay_out(chosen, extract, chosen_ids, patients, registered, latest, carried, personal)
    preamble: list[list[str]] = []
    if chosen.header_first_cell:  # EMIS: the search's name and the date it was run above the table
        preamble = [["Search", chosen.description]]
        if chosen.as_of_label:
            preamble.append([chosen.as_of_label, as_of.strftime(chosen.as_of_format or chosen.date_format)])
        preamble.append([])
    elif chosen.header_line and chosen.header_line > 1:
        preamble = [[f"line {n}"] for n in range(1, chosen.header_line)]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", newline="", encoding=chosen.encoding) as f:
        writer = csv.writer(f, delimiter=chosen.delimiter, quotechar=chosen.quote, lineterminator="\r\n")
        writer.writerows(preamble)
        writer.writerow(header)
        writer.writerows(rows)
    return carried


def _lay_out(
    profile: Profile,
    extract: Path,
    ids: list[int],
    patients: dict[int, dict[str, str]],
    registered: dict[int, tuple[dt.date, dt.date, str]],
    latest: list[dict[int, tuple[dt.date, str]]],
    carried: Carried,
    personal: str,
) -> tuple[list[str], list[list[str]]]:
    fmt = profile.date_format
    mapped = profile.patient
    # columns a real report also holds, never read by qiloop
    extra = {"Name": f"{personal} Person", "NHS Number": "4010232137", "Address": f"1 {personal} Street",
             "Telephone": f"{personal} 01632 960000"}  # fmt: skip
    header = [c for c in (mapped.get("patient_id"), "Name", "NHS Number", mapped.get("date_of_birth"),
                          mapped.get("age"), mapped.get("sex"), "Address", "Telephone",
                          mapped.get("registration_date")) if c]  # fmt: skip
    for group in profile.events:
        header += [c for c in (group.date, group.code_column) if c]
    rows = []
    for pid in ids:
        p = patients[pid]
        dob = _day(p["date_of_birth"])
        assert dob is not None
        age = _age(dob, carried.as_of)
        sex = p["sex"]
        cells = dict(extra)
        if "patient_id" in mapped:
            cells[mapped["patient_id"]] = str(pid)
        if "date_of_birth" in mapped:
            cells[mapped["date_of_birth"]] = dob.strftime(fmt)
        if "age" in mapped:
            cells[mapped["age"]] = str(age)
        cells[mapped["sex"]] = SEX_LABELS[sex]
        carried.patients[pid] = (dob if "date_of_birth" in mapped else None, age, sex)
        carried.registrations[pid] = registered[pid][0] if "registration_date" in mapped else None
        if "registration_date" in mapped:
            cells[mapped["registration_date"]] = registered[pid][0].strftime(fmt)
        for group, found in zip(profile.events, latest, strict=True):
            if pid in found:
                day, code = found[pid]
                cells[group.date] = day.strftime(fmt)
                if group.code_column:
                    cells[group.code_column] = code
                shown = code if group.code_column else group.code
                assert shown is not None
                carried.events.setdefault(group.table, set()).add((pid, day, shown))
        rows.append([cells.get(c, "") for c in header])
    return header, rows


def write(extract_dir: Path, out_dir: Path) -> None:
    """Every shipped profile's report (``<profile>.csv``) for the extract's first practice at its last event date."""
    practices = sorted({r["practice_id"] for r in _table(extract_dir, "practice_registrations")})
    last = max(r["date"] for t in ("clinical_events", "medications") for r in _table(extract_dir, t) if r["date"])
    as_of = dt.date.fromisoformat(last[:10])
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in shipped_profiles():
        write_report(extract_dir, out_dir / f"{name}.csv", name, practice_id=practices[0], as_of=as_of)

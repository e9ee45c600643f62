"""Writers for the round-trip tests: a canonical extract (CSV) written out as ehrQL tables and as a FHIR bulk
export (the layout writers of ``qiloop.bench.layouts``), and as GPAD aggregates (test-only).

They are the inverse of the converters for every field the target layout carries, so converting their
output back must give the canonical rows again (tests/records/test_convert_roundtrip.py).
"""

from __future__ import annotations

import csv
from pathlib import Path

from qiloop.bench.layouts import ehrql, fhir


def read(extract: Path, table: str) -> list[dict[str, str]]:
    with (extract / f"{table}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def write_ehrql(extract: Path, out: Path) -> Path:
    ehrql.write(extract, out)
    return out


def write_fhir(extract: Path, out: Path) -> Path:
    fhir.write(extract, out)
    return out


GPAD_HEADER = (
    "APPOINTMENT_MONTH_START_DATE,GP_CODE,GP_NAME,SUPPLIER,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_CODE,"
    "SUB_ICB_LOCATION_NAME,HCP_TYPE,APPT_MODE,NATIONAL_CATEGORY,TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS,"
    "APPT_STATUS"
)
GPAD_MODE = {
    "face_to_face": "Face-to-Face",
    "telephone": "Telephone",
    "video": "Video Conference/Online",
    "online": "Video Conference/Online",
    "home_visit": "Home Visit",
}
GPAD_STATUS = {"attended": "Attended", "did_not_attend": "DNA", "booked": "Unknown"}


def _band(days: int) -> str:
    for limit, label in ((0, "Same Day"), (1, "1 Day"), (7, "2 to 7 Days"), (14, "8  to 14 Days"),
                         (21, "15  to 21 Days"), (28, "22  to 28 Days")):  # fmt: skip
        if days <= limit:
            return label
    return "More than 28 Days"


def write_gpad(extract: Path, out: Path, release: str = "Mar_25") -> Path:
    """The network's appointments (cancellations left out, as GPAD has none) as one GPAD practice-level file."""
    import datetime as dt
    from collections import Counter

    counts: Counter[tuple[str, ...]] = Counter()
    for a in read(extract, "appointments"):
        if a["status"] not in GPAD_STATUS:
            continue
        start = dt.date.fromisoformat(a["start_date"])
        days = (start - dt.date.fromisoformat(a["booked_date"])).days
        counts[
            (
                start.replace(day=1).strftime("%d%b%Y").upper(),
                a["practice_id"],
                "GP" if a["hcp_role"] == "gp" else "Other Practice staff",
                GPAD_MODE[a["mode"]],
                "General Consultation Routine",
                _band(days),
                GPAD_STATUS[a["status"]],
            )
        ] += 1
    out.mkdir(parents=True)
    path = out / f"Practice_Level_Crosstab_{release}.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(GPAD_HEADER.split(","))
        for (month, practice, hcp, mode, category, band, status), n in sorted(counts.items()):
            w.writerow(
                [month, practice, "NAME", "EMIS", "U1", "PCN", "00K", "SUB ICB", hcp, mode, category, band, n, status]
            )
    return out

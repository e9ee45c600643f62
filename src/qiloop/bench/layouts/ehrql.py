"""A canonical extract written as ehrQL tables (CSV), the layout ``qiloop import --from ehrql`` reads.

The appointment statuses are written as TPP's values; the mode, role and clinician are not in the ehrQL
tables. Synthetic data only: for round-trip tests and ``qiloop bench import --from ehrql``.
"""

from __future__ import annotations

from pathlib import Path

from qiloop.bench.layouts._source import connect_extract

TPP_STATUS = {
    "attended": "Finished",
    "did_not_attend": "Did Not Attend",
    "cancelled_by_patient": "Cancelled by Patient",
    "cancelled_by_practice": "Cancelled by Unit",
    "booked": "Booked",
}

QUERIES = {
    "patients": "SELECT patient_id, sex, date_of_birth, date_of_death FROM patients ORDER BY patient_id::BIGINT",
    "practice_registrations": "SELECT patient_id, start_date, end_date, practice_id AS practice_pseudo_id "
    "FROM practice_registrations",
    "clinical_events": "SELECT patient_id, date, snomedct_code, NULL::VARCHAR AS ctv3_code, numeric_value "
    "FROM clinical_events",
    "medications": "SELECT patient_id, date, dmd_code FROM medications",
    "appointments": "SELECT patient_id, booked_date, start_date, NULL::VARCHAR AS seen_date, "
    "CASE status "
    + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in TPP_STATUS.items())
    + " END AS status FROM appointments ORDER BY appointment_id::BIGINT",
}


def write(extract_dir: Path, out_dir: Path) -> None:
    """Write the extract in ``extract_dir`` as ehrQL CSV tables into ``out_dir`` (created; must not exist)."""
    out_dir.mkdir(parents=True)
    con = connect_extract(extract_dir)
    try:
        for name, query in QUERIES.items():
            con.execute(f"COPY ({query}) TO $out (HEADER, DELIMITER ',')", {"out": str(out_dir / f"{name}.csv")})
    finally:
        con.close()

"""``generate_network``: a whole synthetic network of practices written to a directory.

Example::

    from datetime import date
    from qiloop.synth import generate_network

    summary = generate_network("var/demo", practices=12, patients=120_000, seed=1)
    print(summary.rows["appointments"])

Same arguments give the same bytes: every practice draws from its own
random stream seeded from ``(seed, practice number)``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from qiloop import __version__
from qiloop.errors import InputError
from qiloop.progress import bar
from qiloop.records.schema import TABLES
from qiloop.synth import params
from qiloop.synth.population import Window
from qiloop.synth.practice_tables import PracticeTables, generate_practice
from qiloop.synth.practices import ICB_ID, ICB_NAME, PracticeSpec, build_practices, plant_changes
from qiloop.synth.sampling import to_days
from qiloop.synth.writer import FORMATS, TableSink

DEFAULT_START = dt.date(2021, 4, 1)
DEFAULT_END = dt.date(2026, 3, 31)
MAX_PATIENTS = 100_000_000
MAX_PRACTICES = 89_999  # practice ids Q10001..Q99999


@dataclass
class NetworkSummary:
    """What :func:`generate_network` wrote."""

    out_dir: Path
    practices: int
    patients: int  # rows in the patients table (the start-date lists plus joiners and births)
    rows: dict[str, int]
    files: dict[str, Path]
    truth_path: Path
    seconds: float = 0.0
    messy: dict[str, int] = field(default_factory=dict)


def check_arguments(practices: int, patients: int, start: dt.date, end: dt.date, fmt: str) -> None:
    """Raise :class:`InputError` describing the first bad argument."""
    if practices < 1:
        raise InputError(f"--practices must be at least 1 (got {practices})")
    if practices > MAX_PRACTICES:
        raise InputError(
            f"--practices must be at most {MAX_PRACTICES:,} (got {practices:,}): ids are a letter and 5 digits"
        )
    if patients < 1:
        raise InputError(f"--patients must be at least 1 (got {patients})")
    if patients < practices:
        raise InputError(
            f"--patients ({patients}) is smaller than --practices ({practices})",
            hint="give each practice at least one patient; a realistic list is 2,000-20,000",
        )
    if patients > MAX_PATIENTS:
        raise InputError(f"--patients must be at most {MAX_PATIENTS:,} (got {patients:,})")
    if start >= end:
        raise InputError(f"--start ({start.isoformat()}) must be before --end ({end.isoformat()})")
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r})")


def check_output_dir(out: Path, fmt: str) -> None:
    """Refuse a path that is a file, or a directory holding tables in the other format (a mixed extract)."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a directory", hint="give --out a new or existing directory")
    if not out.is_dir():
        return
    other = [f"{t.name}.{f}" for t in TABLES for f in FORMATS if f != fmt and (out / f"{t.name}.{f}").exists()]
    if other:
        raise InputError(
            f"{out}: already holds {', '.join(other)}; writing {fmt} files beside them would mix two extracts",
            hint="choose an empty directory, or delete those files first",
        )


def generate_network(
    out_dir: str | Path,
    *,
    practices: int,
    patients: int,
    seed: int,
    start: dt.date = DEFAULT_START,
    end: dt.date = DEFAULT_END,
    fmt: str = "parquet",
) -> NetworkSummary:
    """Write a synthetic network of ``practices`` practices with ``patients`` registered on ``start``.

    One file per canonical table (``<table>.parquet`` or ``.csv``) and
    ``truth.json`` (parameters, calibration targets, planted changes,
    messy-record counts) go to ``out_dir``. Files appear only when complete.
    """
    check_arguments(practices, patients, start, end, fmt)
    began = time.perf_counter()
    out = Path(out_dir)
    check_output_dir(out, fmt)
    out.mkdir(parents=True, exist_ok=True)
    network_rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    specs = build_practices(network_rng, practices, patients)
    plant_changes(network_rng, specs, start, end)
    window = Window(start=to_days(start), end=to_days(end))
    sinks = {t.name: TableSink(out, t.name, fmt) for t in TABLES}
    messy: dict[str, int] = {}
    try:
        sinks["practices"].write(_practice_columns(specs))
        next_patient, next_appointment = 1, 1
        # Writing (compression, in pyarrow without the GIL) overlaps generating the next practice.
        with bar(total=patients, desc="synth", unit="patients") as progress, ThreadPoolExecutor(1) as writer:
            pending: Future[None] | None = None
            for spec in specs:
                rng = np.random.default_rng(np.random.SeedSequence([seed, 1, spec.index]))
                other = specs[(spec.index + 1) % len(specs)].practice_id
                result = generate_practice(rng, spec, window, next_patient, next_appointment, other)
                next_patient += result.patients
                next_appointment += result.appointments
                for key, value in result.messy.items():
                    messy[key] = messy.get(key, 0) + value
                if pending is not None:
                    pending.result()
                pending = writer.submit(_write_practice, sinks, result)
                progress.update(spec.list_size)
            if pending is not None:
                pending.result()
        files = {name: sink.close() for name, sink in sinks.items()}
    except BaseException:
        for sink in sinks.values():
            sink.abort()
        raise
    rows = {name: sink.rows for name, sink in sinks.items()}
    truth_path = out / "truth.json"
    truth = _truth(specs, practices, patients, seed, start, end, fmt, rows, messy)
    truth_path.write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return NetworkSummary(
        out_dir=out,
        practices=practices,
        patients=rows["patients"],
        rows=rows,
        files=files,
        truth_path=truth_path,
        seconds=time.perf_counter() - began,
        messy=messy,
    )


def _write_practice(sinks: dict[str, TableSink], result: PracticeTables) -> None:
    for name, columns in result.tables.items():
        sinks[name].write(columns)


def _practice_columns(specs: list[PracticeSpec]) -> dict[str, pa.Array]:
    return {
        "practice_id": pa.array([s.practice_id for s in specs]),
        "name": pa.array([s.name for s in specs]),
        "pcn_id": pa.array([s.pcn_id for s in specs]),
        "pcn_name": pa.array([s.pcn_name for s in specs]),
        "icb_id": pa.array([ICB_ID] * len(specs)),
        "icb_name": pa.array([ICB_NAME] * len(specs)),
    }


def _truth(
    specs: list[PracticeSpec],
    practices: int,
    patients: int,
    seed: int,
    start: dt.date,
    end: dt.date,
    fmt: str,
    rows: dict[str, int],
    messy: dict[str, int],
) -> dict[str, object]:
    return {
        "generator": {"name": "qiloop.synth", "version": __version__},
        "parameters": {
            "practices": practices,
            "patients": patients,
            "seed": seed,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "format": fmt,
        },
        "calibration_targets": {
            "prevalence_on_end_date": {
                name: {"share": share, "min_age": min_age}
                for name, (share, min_age) in params.PREVALENCE_TARGETS.items()
            },
            "appointments_per_patient_year": params.APPOINTMENTS_PER_PATIENT_YEAR,
            "appointment_same_day_share": params.LEAD_TIME_BANDS[0][2],
            "appointment_within_14_days_share": round(sum(b[2] for b in params.LEAD_TIME_BANDS if b[1] <= 14), 4),
            "appointment_mode_shares": params.MODE_SHARES,
            "appointment_hcp_role_shares": params.HCP_ROLE_SHARES,
            "dna_rate_by_lead_time_days": [list(x) for x in params.DNA_RATE_BY_LEAD],
            "review_completion": params.REVIEW_RATES,
            "pincer_median_rates": params.PINCER_TARGETS,
            "continuity": {
                "upc_practice_mean_published": 0.52,  # Hull et al. 2022: 3+ consultations in 2 years
                "upc_practice_range_published": [0.32, 0.93],
                "upc_older_patients_published": 0.61,  # Barker et al. 2017: aged 62-82, 2+ contacts in 2 years
                "patients_per_gp": params.PATIENTS_PER_GP,
                "min_gps": params.MIN_GPS,
                "decline_logit_per_year": params.CONTINUITY_DECLINE_LOGIT_PER_YEAR,
            },
            "same_day_model_share": round(params.SAME_DAY_MODEL_SHARE, 4),
            "prevalence_by_imd_quintile": {k: list(v) for k, v in params.PREVALENCE_BY_IMD_QUINTILE.items()},
        },
        "planted_changes": [c.as_json() for s in specs for c in s.changes],
        "messy_records": {
            "counts": messy,
            "rates": {
                "overlapping_registration": params.OVERLAPPING_REGISTRATION_RATE,
                "event_after_death_among_deceased": params.EVENT_AFTER_DEATH_RATE,
                "unknown_sex": params.UNKNOWN_SEX_RATE,
                "ethnicity_null_mean": params.ETHNICITY_NULL_MEAN,
                "imd_null": params.IMD_NULL_RATE,
            },
        },
        "practices": [s.as_json() for s in specs],
        "rows": rows,
    }

"""EMIS appointment slots -> canonical appointments (no booking date; mode from the practice's session categories)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qiloop.records.sql import literal

if TYPE_CHECKING:
    from pathlib import Path

    from qiloop.records.from_emis.convert import _Extract

FREE = "no patient (a free slot, or a cancelled appointment: EMIS frees the slot)"
STATUS_SOURCES = {
    "did_not_attend": "DidNotAttend true",
    "attended": "LeftTime given",
    "attended (sent in)": "SendInTime given, no LeftTime",
    "booked": "none of DidNotAttend, SendInTime, LeftTime",
}


def write_appointments(extract: _Extract, out_dir: Path, modes: dict[str, str], tables: dict[str, list[Path]]) -> None:
    from qiloop.records.from_emis.convert import (
        _aggregated,
        _check_header,
        _copy,
        _load,
        _read_joined,
        _true,
        patient_joins,
        patient_reason,
    )

    con, report, practice = extract.con, extract.report, extract.options.practice
    # each session's category, and its one user (its least is its greatest, cheaper than counting distinct users),
    # from the rows not deleted (_live); the files are aggregated as they are read, not kept
    live = f"(SELECT *, NOT {_true('Deleted')} AS _live FROM {{}})"
    if "Appointment_Session" in tables:
        _aggregated(
            extract,
            "Appointment_Session",
            "sessions",
            tables["Appointment_Session"],
            lambda source: (
                "SELECT AppointmentSessionGuid AS session, any_value(trim(coalesce("
                "SessionCategoryDisplayName, ''))) FILTER (WHERE _live) AS category, bool_or(_live) AS _live, "
                f"count(*) AS _rows FROM {live.format(source)} GROUP BY 1"
            ),
        )
    else:
        con.execute("CREATE TEMP TABLE sessions (session VARCHAR, category VARCHAR, _live BOOLEAN)")
        report.notes.append("no Appointment_Session file: every appointment's mode is unknown")
    if "Appointment_SessionUser" in tables:
        _aggregated(
            extract,
            "Appointment_SessionUser",
            "clinicians",
            tables["Appointment_SessionUser"],
            lambda source: (
                "SELECT SessionGuid AS session, min(UserInRoleGuid) FILTER (WHERE _live) AS clinician, "
                f"max(UserInRoleGuid) FILTER (WHERE _live) AS _last, count(*) AS _rows FROM {live.format(source)} "
                "GROUP BY 1"
            ),
        )
    else:
        con.execute("CREATE TEMP TABLE clinicians (session VARCHAR, clinician VARCHAR, _last VARCHAR)")
    mapping = ", ".join(f"({literal(k)}, {literal(v)})" for k, v in modes.items()) or "(NULL, NULL)"
    con.execute(f"CREATE TEMP TABLE session_modes AS SELECT * FROM (VALUES {mapping}) AS t(category, mode)")
    # one row per session: its category, the mode it means and its one clinician
    con.execute(
        "CREATE TEMP TABLE session_facts AS SELECT coalesce(se.session, c.session) AS session, se.category, "
        "coalesce(sm.mode, 'unknown') AS mode, c.clinician FROM (SELECT * FROM sessions WHERE _live) se "
        "FULL JOIN (SELECT * FROM clinicians WHERE clinician = _last) c "
        "ON c.session = se.session LEFT JOIN session_modes sm ON sm.category = lower(se.category)"
    )
    # the few kinds of session (category, mode, clinician), and each session's kind: a slot carries its session's
    # kind, and is counted and written by joining this small table (not the million sessions)
    con.execute("CREATE TEMP TABLE session_kinds AS SELECT DISTINCT category, mode, clinician FROM session_facts")
    con.execute(
        "CREATE TEMP TABLE session_kind AS SELECT f.session, k.rowid AS kind FROM session_facts f JOIN session_kinds k "
        "ON k.category IS NOT DISTINCT FROM f.category AND k.mode IS NOT DISTINCT FROM f.mode "
        "AND k.clinician IS NOT DISTINCT FROM f.clinician"
    )
    for name in ("sessions", "clinicians", "session_facts"):
        con.execute(f"DROP TABLE {name}")  # memory for the slots
    elsewhere = literal(f"another practice's slot (not {practice})")
    other = f"WHEN o.ods IS DISTINCT FROM {literal(practice)} THEN {elsewhere} " if practice else ""

    def slots(source: str, extra: str = "") -> str:
        # every slot joined to its patient, organisation and session, keeping only what is counted or written
        # (appointment_id, _n, is the slot's position in the file; the session's category, mode and clinician
        # are read from its kind's row of session_kinds, ``kind``, when counted and written, not copied to every slot)
        return (
            f"SELECT {extra}s._n AS appointment_id, m.patient_id, o.ods AS practice_id, "
            f"CAST(left(s.AppointmentDate, 10) AS DATE) AS start_date, CASE WHEN {_true('DidNotAttend')} "
            "THEN 'did_not_attend' WHEN s.LeftTime IS NOT NULL THEN 'attended' WHEN s.SendInTime IS NOT NULL "
            f"THEN 'attended (sent in)' ELSE 'booked' END AS status, f.kind, CASE WHEN {_true('Deleted')} "
            f"THEN 'deleted (Deleted true)' WHEN s.PatientGuid IS NULL THEN {literal(FREE)} {other}"
            f"{patient_reason()}WHEN s.AppointmentDate IS NULL THEN 'no AppointmentDate' "
            "WHEN o.ods IS NULL THEN 'organisation not in Admin_Organisation' END AS reason "
            f"FROM {source} s {patient_joins('s.PatientGuid')}"
            "LEFT JOIN orgs o ON o.org = s.OrganisationGuid LEFT JOIN session_kind f ON f.session = s.SessionGuid"
        )

    # read and joined in one pass; loaded as text first only when the file breaks a rule (or there are several),
    # so that the message names the file and line
    paths = tables["Appointment_Slot"]
    headers = [_check_header(extract, "Appointment_Slot", path) for path in paths]
    if not _read_joined(extract, "Appointment_Slot", "slots", paths, headers, slots, numbered=True):
        _load(extract, "Appointment_Slot", paths, headers=headers)
        con.execute(f"CREATE TEMP TABLE slots AS {slots('(SELECT rowid + 1 AS _n, * FROM src_Appointment_Slot)')}")
        con.execute("DROP TABLE src_Appointment_Slot")
    total = 0
    for reason, status, category, mode, n in con.execute(
        "SELECT g.reason, g.status, CASE WHEN g.reason IS NULL THEN coalesce(f.category, '') END, "
        "CASE WHEN g.reason IS NULL THEN coalesce(f.mode, 'unknown') END, sum(g.n) FROM (SELECT reason, "
        "CASE WHEN reason IS NULL THEN status END AS status, CASE WHEN reason IS NULL THEN kind END AS kind, "
        "count(*) AS n FROM slots GROUP BY ALL) g LEFT JOIN session_kinds f ON f.rowid = g.kind GROUP BY ALL "
        "ORDER BY ALL"
    ).fetchall():
        if reason is not None:
            report.drop("appointments", str(reason), int(n))
            continue
        total += int(n)
        report.mapped("appointments.status", STATUS_SOURCES[str(status)], str(status).split(" ")[0], int(n))
        report.mapped("appointments.mode (session category)", str(category), str(mode), int(n))
    report.mapped("appointments.booked_date", "(not in the EMIS extract)", "empty: waits unavailable", total)
    report.mapped("appointments.hcp_role", "(not read from the EMIS extract)", "unknown", total)
    if total and not modes:
        report.notes.append(
            "appointment modes are unknown: give --session-modes FILE (session category, mode) to map the "
            "practice's session categories"
        )
    _copy(
        extract,
        out_dir,
        "appointments",
        "SELECT s.appointment_id, s.patient_id, s.practice_id, NULL::DATE AS booked_date, s.start_date, "
        "split_part(s.status, ' ', 1) AS status, coalesce(f.mode, 'unknown') AS mode, 'unknown' AS hcp_role, "
        "f.clinician AS clinician_id FROM slots s LEFT JOIN session_kinds f ON f.rowid = s.kind "
        "WHERE s.reason IS NULL",  # no ORDER BY: appointment_id says the order, and sorting costs
    )

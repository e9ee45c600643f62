"""The FHIR conversion in bulk: DuckDB reads the NDJSON files and maps them, for exports of any size.

:func:`qiloop.records.from_fhir.convert_fhir` tries this first. It gives the same tables and the same report
as the line-by-line reader in :mod:`qiloop.records.from_fhir` (which documents the mapping), but DuckDB parses
each file once, picking out only the fields mapped, and every rule is applied to a whole column at a time.
Whatever it does not handle in bulk it leaves to the line-by-line reader, which then converts the whole
export again from the start and names the file and line of any problem: a line that is not JSON or not of
the file's resource type, a malformed date, a resource with no subject, an Appointment status FHIR does not
define, duplicate Patient ids, NHS numbers to pseudonymise or refuse, Bundles, MedicationStatements read with
``include_statements``, and field shapes it does not expect (:class:`Fallback`).

Names, addresses, telecom and narrative text are never read: each file is read with an explicit list of the
fields mapped, so DuckDB skips everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from qiloop import progress, settings
from qiloop.errors import InputError
from qiloop.records.convert import ConversionReport, ConvertOptions, NhsMode
from qiloop.records.schema import COMPARATORS_SQL as KEPT_COMPARATORS
from qiloop.records.sql import connect, literal, probing_with_the_file

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEMS = ("https://fhir.nhs.uk/Id/ods-organization-code", "https://fhir.nhs.uk/Id/ods-site-code")
SNOMED = "http://snomed.info/sct"
DMD_SYSTEMS = (SNOMED, "https://dmd.nhs.uk", "http://dmd.nhs.uk")
SKIP_STATUSES = ("entered-in-error", "cancelled", "refuted")


MEMORY_LIMIT = "6GB"  # for the conversion's working tables (QILOOP_DUCKDB_MEMORY_LIMIT overrides it)


class Fallback(Exception):
    """Something in the export that the bulk conversion leaves to the line-by-line reader."""


CODING = "STRUCT(system VARCHAR, code VARCHAR)[]"
CONCEPT = f"STRUCT(coding {CODING})"
REFERENCE = "STRUCT(reference VARCHAR)"
ORG_REFERENCE = "STRUCT(reference VARCHAR, identifier STRUCT(system VARCHAR, value VARCHAR))"
QUANTITY = "STRUCT(value JSON, comparator VARCHAR)"
SUBJECT = {"subject": REFERENCE, "patient": REFERENCE}

FIELDS: dict[str, dict[str, str]] = {
    "Patient": {
        "id": "VARCHAR",
        "meta": "STRUCT(tag STRUCT(code VARCHAR)[], security STRUCT(code VARCHAR)[])",
        "birthDate": "VARCHAR",
        "gender": "VARCHAR",
        "deceasedDateTime": "VARCHAR",
        "deceasedBoolean": "BOOLEAN",
        "identifier": "STRUCT(system VARCHAR, value VARCHAR)[]",
        "extension": "STRUCT(url VARCHAR, valueCodeableConcept STRUCT(coding STRUCT(code VARCHAR)[]))[]",
        "generalPractitioner": f"{ORG_REFERENCE}[]",
    },
    "EpisodeOfCare": {
        "status": "VARCHAR",
        **SUBJECT,
        "period": 'STRUCT(start VARCHAR, "end" VARCHAR)',
        "managingOrganization": ORG_REFERENCE,
    },
    "Condition": {
        "verificationStatus": "STRUCT(coding STRUCT(code VARCHAR)[])",
        **SUBJECT,
        "onsetDateTime": "VARCHAR",
        "recordedDate": "VARCHAR",
        "code": CONCEPT,
    },
    "Observation": {
        "status": "VARCHAR",
        **SUBJECT,
        "effectiveDateTime": "VARCHAR",
        "effectivePeriod": "STRUCT(start VARCHAR)",
        "issued": "VARCHAR",
        "code": CONCEPT,
        "valueQuantity": QUANTITY,
        "component": f"STRUCT(code {CONCEPT}, valueQuantity {QUANTITY})[]",
    },
    "MedicationRequest": {
        "status": "VARCHAR",
        "intent": "VARCHAR",
        **SUBJECT,
        "authoredOn": "VARCHAR",
        "medicationCodeableConcept": CONCEPT,
        "medicationReference": REFERENCE,
    },
    "MedicationStatement": {},
    "Appointment": {
        "status": "VARCHAR",
        "participant": f"STRUCT(actor {REFERENCE})[]",
        "cancelationReason": "STRUCT(coding STRUCT(code VARCHAR)[])",
        "start": "VARCHAR",
        "created": "VARCHAR",
    },
    "Encounter": {},
}

# System URL -> the name the report uses (the same as the line-by-line reader's)
MACROS = """
CREATE OR REPLACE TEMP MACRO fhir_day(v) AS coalesce(
    length(v) >= 10 AND substr(v, 5, 1) = '-' AND substr(v, 8, 1) = '-'
    AND (length(v) = 10 OR substr(v, 11, 1) = 'T')
    AND CAST(try_cast(substr(v, 1, 10) AS DATE) AS VARCHAR) = substr(v, 1, 10)
    AND substr(v, 1, 4) >= '0001' AND strpos(v, chr(10)) = 0, FALSE);
CREATE OR REPLACE TEMP MACRO fhir_short(v) AS
    v IS NOT NULL AND regexp_full_match(v, '[0-9]{4}(-(0[1-9]|1[0-2]))?(T[^\\n]*)?') AND substr(v, 1, 4) >= '0001';
-- the ISO date of a FHIR date or dateTime (its first day when only a year or month), NULL when absent or bad
CREATE OR REPLACE TEMP MACRO fhir_iso(v) AS CASE
    WHEN v IS NULL OR v = '' THEN NULL
    WHEN fhir_day(v) THEN substr(v, 1, 10)
    WHEN fhir_short(v) THEN substr(v, 1, 4) || '-' || CASE WHEN substr(v, 5, 1) = '-' THEN substr(v, 6, 2)
        ELSE '01' END || '-01'
    END;
-- 'day', 'month' or 'year', NULL when absent, 'bad' when not a FHIR date
CREATE OR REPLACE TEMP MACRO fhir_precision(v) AS CASE
    WHEN v IS NULL OR v = '' THEN NULL
    WHEN fhir_day(v) THEN 'day'
    WHEN fhir_short(v) THEN CASE WHEN substr(v, 5, 1) = '-' THEN 'month' ELSE 'year' END
    ELSE 'bad'
    END;
CREATE OR REPLACE TEMP MACRO ref_id(ref, kind) AS CASE
    WHEN ref IS NULL THEN NULL
    WHEN starts_with(ref, kind || '/') THEN
        CASE WHEN strpos(ref, '/_history') > 0 THEN substr(ref, length(kind) + 2, strpos(ref, '/_history') - length(kind) - 2)
             ELSE substr(ref, length(kind) + 2) END
    WHEN starts_with(ref, 'urn:uuid:') THEN substr(ref, 10)
    WHEN NOT contains(ref, '/' || kind || '/') THEN NULL
    WHEN string_split(ref, '/')[-2] = kind THEN string_split(ref, '/')[-1]
    END;
CREATE OR REPLACE TEMP MACRO first_code(concept, systems) AS
    list_filter(concept.coding, lambda c: c.code IS NOT NULL AND c.code <> '' AND list_contains(systems, c.system))[1].code;
CREATE OR REPLACE TEMP MACRO first_other(concept) AS
    list_filter(concept.coding, lambda c: c.code IS NOT NULL AND c.code <> '')[1];
CREATE OR REPLACE TEMP MACRO is_number(v) AS json_type(v) IN ('BIGINT', 'UBIGINT', 'DOUBLE');
CREATE OR REPLACE TEMP MACRO odd_text(v) AS v IS NOT NULL AND (starts_with(v, '{') OR starts_with(v, '['));
"""


def _systems(values: Sequence[str]) -> str:
    return "[" + ", ".join(literal(v) for v in values) + "]"


def _system_name(names: dict[str, str]) -> str:
    """SQL naming a coding's system as the report does (``RxNorm``, ..., the URL, or ``no system``)."""
    cases = " ".join(f"WHEN {literal(url)} THEN {literal(name)}" for url, name in names.items())
    return f"CASE o.system {cases} ELSE coalesce(nullif(o.system, ''), 'no system') END"


class _Bulk:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        files: dict[str, list[Path]],
        out_dir: Path,
        options: ConvertOptions,
        report: ConversionReport,
        system_names: dict[str, str],
        fmt: str,
    ) -> None:
        self.con, self.files, self.out_dir, self.options, self.report = con, files, out_dir, options, report
        self.system_names = system_names
        self.fmt = fmt

    def one(self, sql: str, params: Any = None) -> Any:
        row = self.con.execute(sql, params).fetchone()
        assert row is not None
        return row[0]

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def read(self, resource_type: str) -> str:
        """Load the files of ``resource_type`` (their mapped fields, in file order, numbered ``n``) into the
        temporary table ``raw``; check every line is a resource of that type."""
        paths = self.files.get(resource_type, [])
        columns = {"resourceType": "VARCHAR", **FIELDS[resource_type]}
        spec = "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in columns.items()) + "}"
        listed = "[" + ", ".join(literal(str(p)) for p in paths) + "]"
        self.con.execute("DROP TABLE IF EXISTS raw")
        if not paths:
            return "raw"
        try:
            self.con.execute(
                f"CREATE TEMP TABLE raw AS SELECT row_number() OVER () AS n, * FROM read_json({listed}, "
                f"format = 'newline_delimited', columns = {spec}, maximum_object_size = 1073741824)"
            )
        except duckdb.Error as exc:  # not JSON, not UTF-8, or a field of an unexpected shape
            raise Fallback(f"{resource_type}: {type(exc).__name__}") from None
        count, wrong = self.con.execute(
            f'SELECT count(*), count(*) FILTER (WHERE "resourceType" IS DISTINCT FROM {literal(resource_type)}) '
            "FROM raw"
        ).fetchone() or (0, 0)
        if wrong:
            raise Fallback(f"{resource_type}: a line of another resource type")
        if count:
            self.report.read[resource_type] += int(count)
        return "raw"

    def source(self, resource_type: str) -> str:
        """SQL reading the files of ``resource_type`` (only the fields mapped), in file order."""
        columns = {"resourceType": "VARCHAR", **FIELDS[resource_type]}
        spec = "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in columns.items()) + "}"
        listed = "[" + ", ".join(literal(str(p)) for p in self.files[resource_type]) + "]"
        return f"read_json({listed}, format = 'newline_delimited', columns = {spec}, maximum_object_size = 1073741824)"

    def run(self, sql: str, resource_type: str) -> None:
        """Run a statement that reads the files of ``resource_type``."""
        try:
            self.con.execute(sql)
        except duckdb.Error as exc:  # not JSON, not UTF-8, or a field of an unexpected shape
            raise Fallback(f"{resource_type}: {type(exc).__name__}") from None

    def counted(self, table: str, resource_type: str) -> None:
        """Count the resources read into ``table``; fall back if any was flagged ``bad``."""
        count, bad = self.con.execute(f"SELECT count(*), count(*) FILTER (WHERE bad) FROM {table}").fetchone() or (0, 0)
        if bad:
            raise Fallback(f"{resource_type}: something for the line-by-line reader")
        if count:
            self.report.read[resource_type] += int(count)

    def check(self, sql: str, why: str) -> None:
        if self.one(sql):
            raise Fallback(why)

    def copy(self, query: str, name: str) -> int:
        """Write ``query`` as the canonical table ``name``; the rows written."""
        path = self.out_dir / f"{name}.{self.fmt}"
        option = "(FORMAT PARQUET, COMPRESSION 'snappy')" if self.fmt == "parquet" else "(HEADER, DELIMITER ',')"
        self.con.execute(f"COPY ({query}) TO {literal(str(path))} {option}")
        count = int(self.one(f"SELECT count(*) FROM ({query})")) if self.fmt == "csv" else _parquet_rows(path)
        if count:
            self.report.written[name] += count
        return count

    def drops(self, table: str, sql: str) -> None:
        for reason, count in self.rows(sql):
            if reason is not None and count:
                self.report.drop(table, reason, int(count))

    def mappings(self, sql: str) -> None:
        for what, value, canonical, count in self.rows(sql):
            self.report.mapped(what, value, canonical, int(count))


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def convert_bulk(
    files: dict[str, list[Path]],
    out_dir: Path,
    options: ConvertOptions,
    nhs: NhsMode,
    key: bytes | None,
    report: ConversionReport,
    organisations: dict[str, str],
    medications: dict[str, tuple[str, str] | None],
    system_names: dict[str, str],
    fmt: str = "csv",
) -> int:
    """Convert ``files`` (NDJSON paths by resource type) into canonical tables in ``out_dir``, filling
    ``report``; the coded rows (for the unmapped-code threshold). Raises :class:`Fallback`, having written
    nothing that matters (the caller empties ``out_dir``), when the line-by-line reader must do it."""
    if options.include_statements and files.get("MedicationStatement"):
        raise Fallback("MedicationStatement read with include_statements")
    con = connect()
    try:
        # working tables beyond the limit go to disk, in the (private) output folder
        con.execute(f"SET temp_directory = {literal(str(out_dir / '.spill'))}")
        limit = settings.current().duckdb_memory_limit or MEMORY_LIMIT
        try:
            con.execute(f"SET memory_limit = {literal(limit)}")
        except duckdb.Error:
            raise InputError(
                f"QILOOP_DUCKDB_MEMORY_LIMIT={limit!r} is not a memory size DuckDB accepts",
                hint="give a size such as 6GB, or unset it",
            ) from None
        con.execute("SET preserve_insertion_order = true")
        for statement in MACROS.split(";"):
            if statement.strip():
                con.execute(statement)
        con.execute("CREATE TEMP TABLE orgs (id VARCHAR, ods VARCHAR)")
        if organisations:
            con.executemany("INSERT INTO orgs VALUES (?, ?)", list(organisations.items()))
        con.execute("CREATE TEMP TABLE meds (id VARCHAR, system VARCHAR, code VARCHAR)")
        rows = [(k, v[0], v[1]) if v else (k, None, None) for k, v in medications.items()]
        if rows:
            con.executemany("INSERT INTO meds VALUES (?, ?, ?)", rows)
        bulk = _Bulk(con, files, out_dir, options, report, system_names, fmt)
        # the steps, named by what they read, for the progress bar (a large export takes minutes)
        steps: list[tuple[str, Callable[[], int | None]]] = [
            ("Patient", lambda: _patients(bulk, with_nhs_numbers=key is not None, nhs=nhs)),
            ("EpisodeOfCare", lambda: _episodes(bulk)),
            ("Condition, Observation", lambda: _events(bulk)),
            ("MedicationRequest", lambda: _prescriptions(bulk)),
            ("MedicationStatement, Encounter", lambda: _statements_and_encounters(bulk)),
            ("Appointment", lambda: _appointments(bulk)),
            ("registrations", lambda: _registrations(bulk)),
            ("writing the tables", lambda: _write_tables(bulk, with_nhs_numbers=key is not None)),
        ]
        coded = 0
        # every join here is written with the resources read from the export on the left and a small table on the
        # right (pid, orgs, meds)
        with progress.bar(total=len(steps), desc="convert fhir", unit="step") as bar, probing_with_the_file(con):
            for name, step in steps:
                bar.set_description(f"convert fhir: {name}")
                coded += step() or 0
                bar.update(1)
        return coded
    finally:
        con.close()


def _ods_of(ref: str, org_alias: str) -> str:
    """SQL: the ODS code an Organization reference names (its identifier, else the Organization's)."""
    systems = _systems(ODS_SYSTEMS)
    return (
        f"CASE WHEN list_contains({systems}, {ref}.identifier.system) AND coalesce({ref}.identifier.value, '') <> '' "
        f"THEN {ref}.identifier.value ELSE {org_alias}.ods END"
    )


def _patients(bulk: _Bulk, *, with_nhs_numbers: bool, nhs: NhsMode) -> None:
    con, report = bulk.con, bulk.report
    bulk.read("Patient")
    if not bulk.files.get("Patient"):
        con.execute("CREATE TEMP TABLE raw (n BIGINT)")
    if not bulk.one("SELECT count(*) FROM raw"):
        raise Fallback("no Patient resources (the line-by-line reader words the error)")
    ethnic = "Extension-UKCore-EthnicCategory"
    con.execute(f"""
        CREATE TEMP TABLE pat AS SELECT
            n, id,
            coalesce(list_contains(list_transform(meta.tag, lambda t: t.code), 'HTEST'), false)
                OR coalesce(list_contains(list_transform(meta.security, lambda t: t.code), 'HTEST'), false) AS htest,
            "birthDate" AS birth, fhir_precision("birthDate") AS birth_precision,
            coalesce(nullif(gender, ''), 'unknown') AS gender,
            "deceasedDateTime" AS death, fhir_precision("deceasedDateTime") AS death_precision,
            "deceasedBoolean" AS deceased,
            list_filter(identifier, lambda i: i.system = {literal(NHS_NUMBER_SYSTEM)} AND coalesce(i.value, '') <> '')[-1].value
                AS nhs_number,
            list_transform(list_filter(extension, lambda e: ends_with(coalesce(e.url, ''), {literal(ethnic)})),
                lambda e: CASE WHEN len(e.valueCodeableConcept.coding) > 0
                          THEN coalesce(e.valueCodeableConcept.coding[1].code, 'None') ELSE '' END) AS letters,
            "generalPractitioner" AS gps
        FROM raw
    """)
    bulk.check("SELECT count(*) FROM pat WHERE odd_text(gender)", "Patient.gender is not text")
    bulk.check("SELECT count(*) FROM (SELECT id FROM pat GROUP BY id HAVING count(*) > 1)", "Patient ids repeated")
    bulk.check("SELECT count(*) FROM pat WHERE NOT htest AND coalesce(id, '') = ''", "a Patient without an id")
    bulk.check(
        "SELECT count(*) FROM pat WHERE NOT htest AND (birth_precision = 'bad' OR death_precision = 'bad')",
        "a malformed Patient date",
    )
    if with_nhs_numbers and nhs != "raw":
        raise Fallback("NHS numbers to pseudonymise or refuse (TableWriter does it)")
    if not with_nhs_numbers and bulk.one(
        "SELECT count(*) FROM pat WHERE NOT htest AND birth_precision IS NOT NULL AND nhs_number IS NOT NULL"
    ):
        raise Fallback("NHS numbers without a key (the line-by-line reader words the error)")
    practice = literal(bulk.options.practice) if bulk.options.practice else "NULL::VARCHAR"
    con.execute(f"""
        CREATE TEMP TABLE gp AS
        SELECT g.n, arg_min(g.ods, g.i) AS practice FROM (
            SELECT p.n, p.i, {_ods_of("p.g", "o")} AS ods
            FROM (SELECT n, unnest(gps) AS g, generate_subscripts(gps, 1) AS i FROM pat
                  WHERE NOT htest AND birth_precision IS NOT NULL) p
            LEFT JOIN orgs o ON o.id = ref_id(p.g.reference, 'Organization')
        ) g WHERE coalesce(g.ods, '') <> '' GROUP BY g.n
    """)
    con.execute(f"""
        CREATE TEMP TABLE patients AS SELECT
            row_number() OVER (ORDER BY p.n) AS number, p.id, p.n,
            coalesce(gp.practice, {practice}) AS practice,
            CAST(substr(fhir_iso(p.birth), 1, 8) || '01' AS DATE) AS birth,
            CASE WHEN p.gender IN ('male', 'female', 'unknown') THEN p.gender ELSE 'unknown' END AS sex,
            CAST(fhir_iso(p.death) AS DATE) AS death,
            CASE p.letters[-1] {" ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in _ethnic_groups().items())}
                END AS ethnicity,
            p.nhs_number
        FROM pat p LEFT JOIN gp USING (n)
        WHERE NOT p.htest AND p.birth_precision IS NOT NULL
        ORDER BY p.n
    """)
    con.execute("""
        CREATE TEMP TABLE pid AS SELECT id, number, practice, FALSE AS skipped FROM patients
        UNION ALL SELECT id, NULL, NULL, TRUE FROM pat WHERE htest OR birth_precision IS NULL
    """)
    for reason, count in bulk.rows(
        "SELECT CASE WHEN htest THEN 'test record (meta tag HTEST)' ELSE 'no birthDate' END, count(*) "
        "FROM pat WHERE htest OR birth_precision IS NULL GROUP BY ALL"
    ):
        report.skipped_patients[reason] += int(count)
    bulk.mappings("""
        SELECT 'patients.date_of_birth', 'birthDate to the ' || birth_precision, 'first of the month', count(*)
        FROM pat WHERE NOT htest AND birth_precision NOT IN ('month') GROUP BY ALL
        UNION ALL
        SELECT 'patients.sex', gender, 'unknown', count(*) FROM pat
        WHERE NOT htest AND birth_precision IS NOT NULL AND gender NOT IN ('male', 'female', 'unknown') GROUP BY ALL
        UNION ALL
        SELECT 'patients.date_of_death', 'deceasedBoolean true without a date', 'alive (no date)', count(*) FROM pat
        WHERE NOT htest AND birth_precision IS NOT NULL AND death_precision IS NULL AND deceased IS TRUE
        HAVING count(*) > 0
    """)
    groups = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in _ethnic_groups().items())
    bulk.mappings(f"""
        SELECT 'patients.ethnicity', letter, coalesce(CASE letter {groups} END, 'missing'), count(*)
        FROM (SELECT unnest(letters) AS letter FROM pat WHERE NOT htest AND birth_precision IS NOT NULL)
        GROUP BY ALL
    """)
    con.execute("DROP TABLE pat")
    con.execute("DROP TABLE gp")


def _ethnic_groups() -> dict[str, str]:
    from qiloop.records.from_fhir import ETHNIC_GROUPS

    return ETHNIC_GROUPS


def _fast_ref(ref: str, kind: str) -> str:
    """SQL: :func:`ref_id`, with the usual ``Kind/id`` worked out first (cheaply)."""
    return (
        f"CASE WHEN starts_with({ref}, '{kind}/') AND strpos({ref}, '/_history') = 0 "
        f"THEN substr({ref}, {len(kind) + 2}) ELSE ref_id({ref}, '{kind}') END"
    )


def _subject_sql(alias: str = "r") -> str:
    """SQL: the Patient id the resource's subject (or patient) names."""
    return _fast_ref(
        f"CASE WHEN {alias}.subject.reference IS NOT NULL THEN {alias}.subject.reference "
        f"ELSE {alias}.patient.reference END",
        "Patient",
    )


def _subject_columns(alias: str = "s") -> str:
    """SQL for the innermost select: the patient's id (``pref``) and whether none is named (``no_subject``)."""
    return (
        f"{_subject_sql(alias)} AS pref, ({alias}.subject IS NOT NULL AND {alias}.subject.reference IS NULL "
        f"OR coalesce({alias}.subject.reference, {alias}.patient.reference) IS NULL) AS no_subject"
    )


def _no_subject(alias: str = "r") -> str:
    """SQL: true when the resource names no patient (the line-by-line reader stops there)."""
    return f"{alias}.no_subject"


def _concept_columns(concept: str, prefix: str) -> str:
    """SQL for the innermost select: a CodeableConcept's first coding, taken out once."""
    return (
        f"{concept}.coding[1].system AS {prefix}_s, {concept}.coding[1].code AS {prefix}_c, "
        f"len({concept}.coding) AS {prefix}_n"
    )


def _coded(concept: str, prefix: str, systems: Sequence[str]) -> tuple[str, str, str]:
    """SQL: the code in ``systems``, then the first other coding's system and code (columns of
    :func:`_concept_columns` looked at first)."""
    listed = ", ".join(literal(v) for v in systems)
    s, c, n = f"{prefix}_s", f"{prefix}_c", f"{prefix}_n"
    return (
        f"CASE WHEN {s} IN ({listed}) AND coalesce({c}, '') <> '' THEN {c} "
        f"WHEN {n} > 1 THEN first_code({concept}, [{listed}]) END",
        f"CASE WHEN coalesce({c}, '') <> '' THEN {s} WHEN {n} > 1 THEN first_other({concept}).system END",
        f"CASE WHEN coalesce({c}, '') <> '' THEN {c} WHEN {n} > 1 THEN first_other({concept}).code END",
    )


def _wrong_type(resource_type: str, alias: str = "r") -> str:
    return f'{alias}."resourceType" IS DISTINCT FROM {literal(resource_type)}'


# the outcome of a resource whose patient is not converted, in the order the line-by-line reader checks
PATIENT_OUTCOME = (
    "WHEN p.skipped THEN 'the patient was skipped (test record)' "
    "WHEN p.number IS NULL THEN 'its subject is not among the export''s Patients'"
)


def _day(value: str, cast: str) -> str:
    """SQL: true when ``value`` is a FHIR date to the day; ``cast`` is ``try_cast(substr(value, 1, 10) AS DATE)``
    worked out once beforehand. A date printed back as ``YYYY-MM-DD`` equal to the first ten characters has
    exactly the digits and dashes the FHIR pattern asks for."""
    return (
        f"coalesce(CAST({cast} AS VARCHAR) = substr({value}, 1, 10) AND {cast} >= DATE '0001-01-01' "
        f"AND (length({value}) = 10 OR substr({value}, 11, 1) = 'T' AND strpos({value}, chr(10)) = 0), FALSE)"
    )


def _any(*conditions: str) -> str:
    """SQL: true when any condition holds, each looked at only where the ones before did not (DuckDB works
    out every operand of OR in a select list)."""
    return "CASE " + " ".join(f"WHEN {c} THEN TRUE" for c in conditions) + " ELSE FALSE END"


def _fhir_ok(value: str) -> str:
    """SQL: true when ``value`` is absent or a FHIR date (the line-by-line reader stops at a malformed one)."""
    return f"CASE WHEN {value} IS NULL OR {value} = '' OR fhir_day({value}) THEN TRUE ELSE fhir_short({value}) END"


def _first_code(concept: str, systems: Sequence[str]) -> str:
    """SQL: the code of the first coding in ``systems`` (the first coding looked at alone, as it usually is)."""
    listed = _systems(systems)
    first = f"{concept}.coding[1]"
    return (
        f"CASE WHEN list_contains({listed}, {first}.system) AND coalesce({first}.code, '') <> '' THEN {first}.code "
        f"WHEN len({concept}.coding) > 1 THEN first_code({concept}, {listed}) END"
    )


def _first_other(concept: str, part: str) -> str:
    """SQL: the ``part`` (system or code) of the first coding with a code."""
    first = f"{concept}.coding[1]"
    return (
        f"CASE WHEN coalesce({first}.code, '') <> '' THEN {first}.{part} "
        f"WHEN len({concept}.coding) > 1 THEN first_other({concept}).{part} END"
    )


def _value_sql(quantity: str) -> str:
    return f"CASE WHEN is_number({quantity}.value) THEN CAST({quantity}.value AS DOUBLE) END"


def _episodes(bulk: _Bulk) -> None:
    con = bulk.con
    con.execute(
        "CREATE TEMP TABLE episodes (n BIGINT, patient BIGINT, start_date DATE, end_date DATE, practice VARCHAR, "
        "dropped VARCHAR, bad BOOLEAN)"
    )
    if not bulk.files.get("EpisodeOfCare"):
        return
    live = "coalesce(r.status, '') <> 'entered-in-error'"
    org = _ods_of('r."managingOrganization"', "o")
    practice = f"coalesce(nullif({org}, ''), p.practice)"
    end = 'r.period."end"'
    bad1 = _any(
        _wrong_type("EpisodeOfCare"),
        "odd_text(r.status)",
        f"{live} AND {_no_subject()}",
        f"{live} AND NOT ({_fhir_ok('r.period.start')})",
        f"{live} AND NOT ({_fhir_ok(end)})",
    )
    bulk.run(
        f"""
        INSERT INTO episodes SELECT r.n, p.number,
            CAST(fhir_iso(r.period.start) AS DATE), CAST(fhir_iso(r.period."end") AS DATE), {practice},
            CASE WHEN NOT {live} THEN 'entered-in-error' {PATIENT_OUTCOME}
                 WHEN fhir_iso(r.period.start) IS NULL OR {practice} IS NULL
                 THEN 'no period.start or no practice (managingOrganization)' END,
            {bad1}
        FROM (SELECT row_number() OVER () AS n, *, {_subject_columns()} FROM {bulk.source("EpisodeOfCare")} s) r
        LEFT JOIN pid p ON p.id = r.pref
        LEFT JOIN orgs o ON o.id = ref_id(r."managingOrganization".reference, 'Organization')
        """,
        "EpisodeOfCare",
    )
    bulk.counted("episodes", "EpisodeOfCare")
    bulk.drops("practice_registrations", "SELECT dropped, count(*) FROM episodes GROUP BY ALL")


EVENT_COLUMNS = (
    "src TINYINT, n BIGINT, part INTEGER, patient BIGINT, date DATE, code VARCHAR, other_system VARCHAR, "
    "other_code VARCHAR, value DOUBLE, comparator VARCHAR, dropped VARCHAR, bad BOOLEAN, component "
    + FIELDS["Observation"]["component"]
)


def _events(bulk: _Bulk) -> int:
    """Conditions and Observations (and their components) -> clinical_events; the coded rows."""
    con = bulk.con
    con.execute(f"CREATE TEMP TABLE events ({EVENT_COLUMNS})")
    snomed = (SNOMED,)

    def coded(concept: str) -> str:
        return f"{_first_code(concept, snomed)}, {_first_other(concept, 'system')}, {_first_other(concept, 'code')}"

    if bulk.files.get("Condition"):
        status = "coalesce(r.\"verificationStatus\".coding[1].code, '')"
        live = f"{status} NOT IN ('entered-in-error', 'cancelled', 'refuted')"
        dated = 'CASE WHEN coalesce(s."onsetDateTime", \'\') <> \'\' THEN s."onsetDateTime" ELSE s."recordedDate" END'
        onset, recorded = 'r."onsetDateTime"', 'r."recordedDate"'
        bad2 = _any(
            _wrong_type("Condition"),
            f"{live} AND {_no_subject()}",
            f"{live} AND NOT ({_fhir_ok(onset)})",
            f"{live} AND NOT ({_fhir_ok(recorded)})",
        )
        bulk.run(
            f"""
            INSERT INTO events SELECT 1, r.n, 0, p.number, CASE WHEN r.dday THEN r.dd END,
                {", ".join(_coded("r.code", "r.k", snomed))}, NULL, NULL,
                CASE WHEN NOT {live} THEN 'Condition ' || {status} {PATIENT_OUTCOME}
                     WHEN NOT r.dday OR r.dv IS NULL
                     THEN 'Condition without a full onset or recorded date' END,
                {bad2},
                NULL
            FROM (SELECT *, {_day("dv", "dd")} AS dday FROM (SELECT *, try_cast(substr(dv, 1, 10) AS DATE) AS dd FROM (
                SELECT row_number() OVER () AS n, *, {_subject_columns()}, {_concept_columns("s.code", "k")}, {
                dated
            } AS dv
                FROM {bulk.source("Condition")} s))) r
            LEFT JOIN pid p ON p.id = r.pref
            """,
            "Condition",
        )
        conditions = int(bulk.one("SELECT count(*) FROM events"))
        if int(bulk.one("SELECT count(*) FROM events WHERE bad")):
            raise Fallback("Condition: something for the line-by-line reader")
        if conditions:
            bulk.report.read["Condition"] += conditions
    if bulk.files.get("Observation"):
        live = "coalesce(r.status, '') NOT IN ('entered-in-error', 'cancelled', 'refuted')"
        dated = (
            "CASE WHEN coalesce(s.\"effectiveDateTime\", '') <> '' THEN s.\"effectiveDateTime\" "
            "WHEN coalesce(s.\"effectivePeriod\".start, '') <> '' THEN s.\"effectivePeriod\".start ELSE s.issued END"
        )
        value = _value_sql('r."valueQuantity"')
        effective, period = 'r."effectiveDateTime"', 'r."effectivePeriod".start'
        bad3 = _any(
            _wrong_type("Observation"),
            "odd_text(r.status)",
            'r."valueQuantity".value IS NOT NULL AND json_type(r."valueQuantity".value) = \'BOOLEAN\'',
            f"{live} AND {_no_subject()}",
            f'{live} AND NOT (r.dv = r."effectiveDateTime" AND r.dday) AND NOT ({_fhir_ok(effective)})',
            f"{live} AND NOT ({_fhir_ok(period)})",
            f"{live} AND NOT ({_fhir_ok('r.issued')})",
            "len(r.component) > 0 AND list_bool_or(list_transform(r.component, "
            "lambda c: json_type(c.\"valueQuantity\".value) = 'BOOLEAN' "
            "OR (c.code IS NOT NULL AND coalesce(len(c.code.coding), 0) = 0)))",
        )
        bulk.run(
            f"""
            INSERT INTO events SELECT 2, r.n, 0, p.number, CASE WHEN r.dday THEN r.dd END,
                {", ".join(_coded("r.code", "r.k", snomed))}, {value},
                CASE WHEN ({value}) IS NOT NULL THEN nullif(r."valueQuantity".comparator, '') END,
                CASE WHEN NOT {live} THEN 'Observation ' || r.status {PATIENT_OUTCOME}
                     WHEN NOT r.dday OR r.dv IS NULL
                     THEN 'Observation without a full effective date' END,
                {bad3},
                CASE WHEN len(r.component) > 0 THEN r.component END
            FROM (SELECT *, {_day("dv", "dd")} AS dday FROM (SELECT *, try_cast(substr(dv, 1, 10) AS DATE) AS dd FROM (
                SELECT row_number() OVER () AS n, *, {_subject_columns()}, {_concept_columns("s.code", "k")}, {
                dated
            } AS dv
                FROM {bulk.source("Observation")} s))) r
            LEFT JOIN pid p ON p.id = r.pref
            """,
            "Observation",
        )
        count, bad = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE bad) FROM events WHERE src = 2"
        ).fetchone() or (0, 0)
        if bad:
            raise Fallback("Observation: something for the line-by-line reader")
        if count:
            bulk.report.read["Observation"] += int(count)
        if bulk.one("SELECT count(*) FROM events WHERE component IS NOT NULL AND dropped IS NULL"):
            component = _value_sql('c.comp."valueQuantity"')
            con.execute(f"""
                INSERT INTO events SELECT 2, c.n, c.part, c.patient, c.date, {coded("c.comp.code")},
                    {component}, CASE WHEN ({component}) IS NOT NULL THEN nullif(c.comp."valueQuantity".comparator, '') END,
                    NULL, FALSE, NULL
                FROM (SELECT n, patient, date, unnest(component) AS comp,
                             generate_subscripts(component, 1) AS part
                      FROM events WHERE src = 2 AND component IS NOT NULL AND dropped IS NULL) c
                WHERE c.comp.code IS NOT NULL
            """)
    # every resource kept so far is a coded row: written, unmapped, or without a code
    con.execute("""
        UPDATE events SET dropped = CASE WHEN other_code IS NOT NULL THEN '(unmapped)' ELSE 'no code' END
        WHERE dropped IS NULL AND code IS NULL
    """)
    coded_rows = "dropped IS NULL OR dropped IN ('(unmapped)', 'no code')"
    bulk.drops("clinical_events", "SELECT dropped, count(*) FROM events WHERE dropped <> '(unmapped)' GROUP BY ALL")
    bulk.mappings(f"""
        SELECT 'clinical_events.numeric_comparator', 'comparator ' || comparator, 'the number alone', count(*)
        FROM events WHERE comparator IS NOT NULL AND comparator NOT IN {KEPT_COMPARATORS} AND ({coded_rows})
        GROUP BY ALL
    """)
    _unmapped(bulk, "events", "src * 1000000000000000 + n * 1000 + part")
    return int(bulk.one(f"SELECT count(*) FROM events WHERE {coded_rows}"))


def _unmapped(bulk: _Bulk, table: str, order: str) -> None:
    """Report the unmapped codes, in the order they were first met (the report's ties keep that order)."""
    names = _system_name(bulk.system_names).replace("o.system", "other_system")
    for system, code, count, _ in bulk.rows(f"""
        SELECT {names}, other_code, count(*), min({order}) AS first FROM {table}
        WHERE dropped = '(unmapped)' GROUP BY 1, 2 ORDER BY first
    """):
        bulk.report.unmapped_code(system, code, int(count))


def _prescriptions(bulk: _Bulk) -> int:
    con = bulk.con
    con.execute(
        "CREATE TEMP TABLE prescriptions (n BIGINT, patient BIGINT, date DATE, code VARCHAR, other_system VARCHAR, "
        "other_code VARCHAR, dropped VARCHAR, bad BOOLEAN)"
    )
    if not bulk.files.get("MedicationRequest"):
        return 0
    live = "coalesce(r.status, '') NOT IN ('entered-in-error', 'cancelled', 'refuted')"
    order = "(r.intent IS NULL OR r.intent = 'order')"
    concept = 'r."medicationCodeableConcept"'
    code, other_system, other_code = _coded(concept, "r.k", DMD_SYSTEMS)
    other = f"({other_code}) IS NOT NULL"
    # the Medications a medicationReference names (none in most exports: then no join at all)
    meds = (
        f"LEFT JOIN meds m ON ({code}) IS NULL AND m.id = ref_id(r.\"medicationReference\".reference, 'Medication')"
        if bulk.one("SELECT count(*) FROM meds")
        else "LEFT JOIN (SELECT NULL::VARCHAR AS system, NULL::VARCHAR AS code) m ON TRUE"
    )
    bad4 = _any(
        _wrong_type("MedicationRequest"),
        "odd_text(r.status)",
        "odd_text(r.intent)",
        f"{live} AND {order} AND {_no_subject()}",
        f"{live} AND {order} AND NOT r.dday AND NOT ({_fhir_ok('r.dv')})",
    )
    bulk.run(
        f"""
        INSERT INTO prescriptions SELECT r.n, p.number, CASE WHEN r.dday THEN r.dd END,
            coalesce({code}, CASE WHEN m.system = {literal(SNOMED)} THEN m.code END),
            CASE WHEN {other} THEN {other_system} ELSE m.system END,
            CASE WHEN {other} THEN {other_code} ELSE m.code END,
            CASE WHEN NOT {live} THEN 'MedicationRequest ' || r.status
                 WHEN NOT {order} THEN 'MedicationRequest intent ' || r.intent || ' (not an order)'
                 {PATIENT_OUTCOME}
                 WHEN NOT r.dday OR r.dv IS NULL THEN 'MedicationRequest without a full date' END,
            {bad4}
        FROM (SELECT *, {_day("dv", "dd")} AS dday FROM (SELECT *, try_cast(substr(dv, 1, 10) AS DATE) AS dd FROM (
            SELECT row_number() OVER () AS n, *, {_subject_columns()},
                {_concept_columns('s."medicationCodeableConcept"', "k")}, s."authoredOn" AS dv
            FROM {bulk.source("MedicationRequest")} s))) r
        LEFT JOIN pid p ON p.id = r.pref
        {meds}
        """,
        "MedicationRequest",
    )
    bulk.counted("prescriptions", "MedicationRequest")
    con.execute("""
        UPDATE prescriptions SET dropped = CASE WHEN other_code IS NOT NULL THEN '(unmapped)'
            ELSE 'no medication code' END
        WHERE dropped IS NULL AND code IS NULL
    """)
    bulk.drops("medications", "SELECT dropped, count(*) FROM prescriptions WHERE dropped <> '(unmapped)' GROUP BY ALL")
    _unmapped(bulk, "prescriptions", "n")
    return int(
        bulk.one(
            "SELECT count(*) FROM prescriptions WHERE dropped IS NULL OR dropped IN ('(unmapped)', 'no medication code')"
        )
    )


def _statements_and_encounters(bulk: _Bulk) -> None:
    for resource_type, table, reason in (
        ("MedicationStatement", "medications", "MedicationStatement (read only with --include-statements)"),
        ("Encounter", "Encounter", "not converted (no booking date; appointments come from Appointment)"),
    ):
        if bulk.files.get(resource_type):
            bulk.run(
                f"CREATE OR REPLACE TEMP TABLE counted AS SELECT count(*) AS n, "
                f"count(*) FILTER (WHERE {_wrong_type(resource_type)}) > 0 AS bad FROM {bulk.source(resource_type)} r",
                resource_type,
            )
            count, bad = bulk.con.execute("SELECT n, bad FROM counted").fetchone() or (0, False)
            if bad:
                raise Fallback(f"{resource_type}: a line of another resource type")
            if count:
                bulk.report.read[resource_type] += int(count)
                bulk.report.drop(table, reason, int(count))


def _participant(kind: str) -> str:
    """SQL: the first participant's id of ``kind`` (Patient, Practitioner), from the first two participants'
    references (``p1``, ``p2``) taken out beforehand, else from the whole list."""
    one, two = (f"nullif({_fast_ref(p, kind)}, '')" for p in ("r.p1", "r.p2"))
    return (
        f"CASE WHEN r.np <= 2 THEN coalesce({one}, {two}) ELSE list_filter(list_transform("
        f"r.participant, lambda x: ref_id(x.actor.reference, '{kind}')), lambda x: coalesce(x, '') <> '')[1] END"
    )


def _appointments(bulk: _Bulk) -> None:
    from qiloop.records.from_fhir import APPOINTMENT_STATUSES

    con = bulk.con
    con.execute(
        "CREATE TEMP TABLE appts (n BIGINT, patient BIGINT, practice VARCHAR, booked DATE, start DATE, status VARCHAR, "
        "clinician VARCHAR, dropped VARCHAR, mapped VARCHAR, bad BOOLEAN)"
    )
    if not bulk.files.get("Appointment"):
        return
    known = _systems([*APPOINTMENT_STATUSES, "cancelled", "entered-in-error"])
    statuses = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in APPOINTMENT_STATUSES.items())
    canonical = (
        "CASE WHEN r.status = 'cancelled' THEN CASE WHEN starts_with(coalesce(r.reason, ''), 'pat') "
        f"THEN 'cancelled_by_patient' ELSE 'cancelled_by_practice' END ELSE CASE r.status {statuses} END END"
    )
    live = "r.status <> 'entered-in-error'"
    kept = f"{live} AND NOT coalesce(p.skipped, FALSE) AND p.number IS NOT NULL"
    bad5 = _any(
        _wrong_type("Appointment"),
        f"coalesce(r.status, '') NOT IN ({known[1:-1]})",
        f"{live} AND r.patient_id IS NULL",
        f"{kept} AND NOT r.sday AND NOT ({_fhir_ok('r.sv')})",
        f"{kept} AND NOT r.bday AND NOT ({_fhir_ok('r.bv')})",
    )
    bulk.run(
        f"""
        INSERT INTO appts SELECT r.n, p.number, p.practice,
            CASE WHEN r.bday THEN r.bd ELSE CAST(fhir_iso(r.bv) AS DATE) END,
            CASE WHEN r.sday THEN r.sd ELSE CAST(fhir_iso(r.sv) AS DATE) END,
            {canonical}, r.clinician,
            CASE WHEN NOT {live} THEN 'entered-in-error' {PATIENT_OUTCOME}
                 WHEN coalesce(r.sv, '') = '' THEN 'no start'
                 WHEN coalesce(r.bv, '') = '' THEN 'no created date (the booking date)'
                 WHEN p.practice IS NULL THEN 'the patient has no practice (generalPractitioner)' END,
            CASE WHEN {kept} THEN
                 CASE WHEN r.status = 'cancelled' THEN 'cancelled (' || coalesce(r.reason, 'no reason') || ')'
                      ELSE r.status END END,
            {bad5}
        FROM (SELECT *, {_day("sv", "sd")} AS sday, {_day("bv", "bd")} AS bday FROM (
        SELECT *, try_cast(substr(sv, 1, 10) AS DATE) AS sd, try_cast(substr(bv, 1, 10) AS DATE) AS bd FROM (
            SELECT r.n, r."resourceType", r.status, r.start AS sv, r.created AS bv,
                {_participant("Patient")} AS patient_id, {_participant("Practitioner")} AS clinician, r.reason
            FROM (SELECT row_number() OVER () AS n, *, len(participant) AS np, participant[1].actor.reference AS p1,
                         participant[2].actor.reference AS p2,
                         CASE WHEN len("cancelationReason".coding) > 0
                              THEN coalesce("cancelationReason".coding[1].code, 'None') END AS reason
                  FROM {bulk.source("Appointment")}) r))) r
        LEFT JOIN pid p ON p.id = r.patient_id
        """,
        "Appointment",
    )
    bulk.counted("appts", "Appointment")
    bulk.drops("appointments", "SELECT dropped, count(*) FROM appts GROUP BY ALL")
    bulk.mappings(
        "SELECT 'appointments.status', mapped, status, count(*) FROM appts WHERE mapped IS NOT NULL GROUP BY ALL"
    )


def _registrations(bulk: _Bulk) -> None:
    con = bulk.con
    # each patient's earliest record, for the registrations inferred where no EpisodeOfCare names the patient
    recorded = "(SELECT patient FROM episodes WHERE dropped IS NULL)"
    if bulk.one(f"SELECT count(*) FROM patients WHERE practice IS NOT NULL AND number NOT IN {recorded}"):
        con.execute("""
            CREATE TEMP TABLE earliest AS SELECT patient, min(date) AS date FROM (
                SELECT patient, date FROM events WHERE dropped IS NULL
                UNION ALL SELECT patient, date FROM prescriptions WHERE dropped IS NULL
                UNION ALL SELECT patient, booked FROM appts WHERE dropped IS NULL
            ) GROUP BY patient
        """)
    else:
        con.execute("CREATE TEMP TABLE earliest (patient BIGINT, date DATE)")
    no_practice = int(
        bulk.one(
            "SELECT count(*) FROM patients WHERE practice IS NULL "
            "AND number NOT IN (SELECT patient FROM episodes WHERE dropped IS NULL)"
        )
    )
    if no_practice:
        bulk.report.drop("practice_registrations", "the patient has no practice (give --practice)", no_practice)


def _write_tables(bulk: _Bulk, *, with_nhs_numbers: bool) -> None:
    nhs = "nhs_number, " if with_nhs_numbers else ""
    bulk.copy(
        f"SELECT number AS patient_id, {nhs}birth AS date_of_birth, sex, death AS date_of_death, "
        "ethnicity FROM patients ORDER BY number",
        "patients",
    )
    # CSV (for people to read) in the line-by-line reader's order, the file's; Parquet (for the import, which
    # does not depend on the order of rows) as it comes, sparing a sort of every table
    in_order = bulk.fmt == "csv"
    bulk.copy(
        "SELECT patient AS patient_id, date, code AS snomedct_code, value AS numeric_value, "
        f"CASE WHEN comparator IN {KEPT_COMPARATORS} THEN comparator END AS numeric_comparator "
        "FROM events WHERE dropped IS NULL" + (" ORDER BY src, n, part" if in_order else ""),
        "clinical_events",
    )
    bulk.con.execute("DROP TABLE events")  # memory back as soon as a table is written
    bulk.copy(
        "SELECT patient AS patient_id, date, code AS dmd_code FROM prescriptions WHERE dropped IS NULL"
        + (" ORDER BY n" if in_order else ""),
        "medications",
    )
    bulk.con.execute("DROP TABLE prescriptions")
    # an appointment's id is its place among those written, in file order: its line's number when none was dropped
    none_dropped = not bulk.one("SELECT count(*) FROM appts WHERE dropped IS NOT NULL")
    ids = "n" if none_dropped else "row_number() OVER (ORDER BY n)"
    written = bulk.copy(
        f"SELECT {ids} AS appointment_id, patient AS patient_id, practice AS practice_id, "
        "booked AS booked_date, start AS start_date, status, 'unknown' AS mode, "
        "'unknown' AS hcp_role, clinician AS clinician_id FROM appts WHERE dropped IS NULL"
        + (" ORDER BY n" if in_order else ""),
        "appointments",
    )
    bulk.con.execute("DROP TABLE appts")
    if not written:
        (bulk.out_dir / f"appointments.{bulk.fmt}").unlink()
    inferred = bulk.copy(
        """SELECT patient AS patient_id, start_date, end_date, practice AS practice_id FROM (
            SELECT 0 AS part, n, patient, start_date, end_date, practice FROM episodes WHERE dropped IS NULL
            UNION ALL
            SELECT 1, p.number, p.number, coalesce(e.date, p.birth), NULL, p.practice
            FROM patients p LEFT JOIN earliest e ON e.patient = p.number
            WHERE p.practice IS NOT NULL AND p.number NOT IN (SELECT patient FROM episodes WHERE dropped IS NULL)
        ) ORDER BY part, n""",
        "practice_registrations",
    ) - int(bulk.one("SELECT count(*) FROM episodes WHERE dropped IS NULL"))
    if inferred:
        bulk.report.notes.append(
            f"{inferred:,} patients have no EpisodeOfCare: a registration was inferred for each, at its "
            "generalPractitioner practice from its earliest record, still open (inferred, not recorded)"
        )

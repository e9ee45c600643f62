"""Django set-up for the workbench tests, and one fixture per role.

Only this directory configures Django, so library tests collected on their
own never import it. Settings come from the same module as production, with
a throw-away secret key and state directory; the database is pytest-django's
test database (in-memory SQLite unless DATABASE_URL points at PostgreSQL).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

# A state directory of each test process's own: pytest-xdist's workers inherit the environment of the process that
# started them, and a shared one let one worker's test of interrupted imports end the other worker's running job.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
if "QILOOP_VAR_DIR" not in os.environ or os.environ.get("QILOOP_TEST_VAR_DIR_OF") not in (None, _WORKER):
    os.environ["QILOOP_VAR_DIR"] = tempfile.mkdtemp(prefix=f"qiloop-web-tests-{_WORKER}-")
    os.environ["QILOOP_TEST_VAR_DIR_OF"] = _WORKER
    atexit.register(shutil.rmtree, os.environ["QILOOP_VAR_DIR"], ignore_errors=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiloop_web.settings")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-any-real-deployment")
os.environ.setdefault("QILOOP_ENV", "development")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# WhiteNoise serves collectstatic's folder too, and warns on every start when it is missing.
Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)

# Fast hashing: the tests create many people; the production hasher is unchanged.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

import pytest  # noqa: E402
from django.db.backends.sqlite3 import base as sqlite_base  # noqa: E402 (base first: it imports its operations)

from qiloop_web.audit.guard import allow_emptying  # noqa: E402

DatabaseOperations = sqlite_base.DatabaseOperations
_execute_sql_flush = DatabaseOperations.execute_sql_flush


def _flush_test_database(self, sql_list):  # type: ignore[no-untyped-def]
    """Emptying the SQLite test database between tests (live-server tests) may delete audit events; nothing
    else may (qiloop_web/audit/guard.py)."""
    with allow_emptying():
        return _execute_sql_flush(self, sql_list)


DatabaseOperations.execute_sql_flush = _flush_test_database  # type: ignore[method-assign]
from web_universe import Universe, build_universe  # noqa: E402


@pytest.fixture
def universe(db) -> Universe:
    """A small network: one ICB, two PCNs, three practices and one person per role (see web_universe.py)."""
    return build_universe()


# The universe's people, in the order the tables of designed answers list them (permission matrix, patient level).
PEOPLE = [
    "gp",
    "practice_manager",
    "practice_nurse",
    "pharmacist",
    "healthcare_assistant",
    "receptionist",
    "health_secretary",
    "patient_representative",
    "network_qi_lead",
    "icb_analyst",
    "administrator",
    "other_gp",
]

# The universe's organisations by where they stand from the people above (most belong to A00001).
CODES = {
    "practice": "A00001",
    "sibling": "A00002",
    "far": "A00003",
    "pcn": "QPCN1",
    "other-pcn": "QPCN2",
    "icb": "QICB",
    "missing": "NOPE",
}


@pytest.fixture
def invitation_token(universe) -> str:
    """A pending invitation to A00001 (as a GP); the token its link carries."""
    from qiloop_web.organisations.actions import invite

    return invite(organisation=universe.practice, email="someone@example.nhs.uk", role="gp", by=None)[1]


# A few measures from each topic keep the tests fast; the others show "not enough data".
MEASURED = ["pincer_a", "pincer_any", "dna_rate", "appts_per_1000", "continuity_upc", "hyp008", "dm020"]


@pytest.fixture(scope="session")
def measured_store(tmp_path_factory):
    """A small synthetic store (3 practices, about 2,000 patients) whose practice codes are the universe's,
    and the results of the MEASURED measures over 18 months: built once per test run, shared by the
    xdist workers (the first builds it under a lock, the others wait and reuse it)."""
    import fcntl

    # the same folder for every xdist worker of this run; without xdist the run's own folder (its parent,
    # /tmp/pytest-of-USER, outlives the run and would serve results of older code to a later run)
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "measured"
    with open(shared / "measured.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "ready").exists():
            _build_measured(folder)
            (folder / "ready").touch()
    return folder / "demo" / "store.duckdb", folder / "results"


def _build_measured(folder):
    import duckdb

    from qiloop.demo import build_demo
    from qiloop.measures.results_store import compute_results

    demo = build_demo(folder / "demo", practices=3, patients=2000, fresh=True, say=lambda _text: None)
    con = duckdb.connect(str(demo.store))
    try:
        for table in ("practices", "practice_registrations", "appointments"):
            con.execute(f"UPDATE {table} SET practice_id = 'A0000' || right(practice_id, 1)")  # Q10001 -> A00001
        _give_riverside_two_nsaid_patients_with_low_egfr(con)
    finally:
        con.close()
    compute_results(demo.store, folder / "results", months=18, measure_ids=MEASURED, say=lambda _text: None)


def _give_riverside_two_nsaid_patients_with_low_egfr(con) -> None:
    """Two adults at A00001 get an eGFR below 45 in December 2025 and an oral NSAID in February 2026, so its
    pincer_k action list (numerator patients) is never empty whatever the generator's calibration."""
    from qiloop.codelists import load

    nsaid = sorted(load("pincer_nsaid").codes)[0]
    egfr = sorted(load("egfr").codes)[0]
    chosen = [
        row[0]
        for row in con.execute(
            "SELECT r.patient_id FROM practice_registrations r JOIN patients p USING (patient_id) "
            "WHERE r.practice_id = 'A00001' AND r.end_date IS NULL AND p.date_of_death IS NULL "
            "AND p.date_of_birth <= DATE '1970-01-01' ORDER BY r.patient_id LIMIT 2"
        ).fetchall()
    ]
    for patient, value in zip(chosen, (23.0, 41.0), strict=True):
        con.execute(
            "INSERT INTO clinical_events (patient_id, date, snomedct_code, numeric_value) "
            "VALUES (?, DATE '2025-12-17', ?, ?)",
            [patient, egfr, value],
        )
        con.execute("INSERT INTO medications VALUES (?, DATE '2026-02-07', ?)", [patient, nsaid])


@pytest.fixture
def measured(settings, measured_store):
    """Point the workbench at the small measured store and its results."""
    settings.QILOOP_STORE, settings.QILOOP_RESULTS_DIR = measured_store
    return measured_store


# Browser tests (Playwright in Debian's Chromium; never `playwright install`): one browser per test.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser():
    """Debian's Chromium, headless; skips with the reason when it or the playwright package is missing."""
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="browser tests need the playwright package (pip install playwright)"
    )
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser_universe(transactional_db, measured) -> Universe:
    """The universe, committed (the live server reads it from another thread), with the measured store."""
    return build_universe()

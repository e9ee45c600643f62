"""Settings come from the environment; production refuses to start without what it needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from qiloop_web import environment

REPO_ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "Vq3kZ8pR2mW9tY4nL7xB1cJ6hF0sD5gA-uE_oI8rT3yK2wQ9zM"  # tests only


def run_workbench(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {key: value for key, value in os.environ.items() if not key.startswith(("QILOOP_", "DJANGO_"))}
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "EMAIL_HOST"):
        base.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "qiloop_web", *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_secret_key_and_hosts_refuses_to_start_and_names_them(tmp_path):
    result = run_workbench(["check"], {"QILOOP_ENV": "production"}, tmp_path)
    assert result.returncode == 1
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_HOST"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()


def test_production_missing_only_allowed_hosts_names_only_that(tmp_path):
    env = {"QILOOP_ENV": "production", "SECRET_KEY": STRONG_KEY, "EMAIL_HOST": "smtp.example.org"}
    result = run_workbench(["check"], env, tmp_path)
    assert result.returncode == 1
    assert "ALLOWED_HOSTS" in result.stderr
    assert "SECRET_KEY:" not in result.stderr


def test_production_with_everything_set_starts(tmp_path):
    env = {
        "QILOOP_ENV": "production",
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "qiloop.example.org",
        "EMAIL_HOST": "smtp.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }
    result = run_workbench(["check"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("changeme", "8 characters long"),
        ("x" * 60, "fewer than 5 different characters"),
        ("django-insecure-" + STRONG_KEY, "well-known word 'django-insecure'"),
        (STRONG_KEY + "changeme", "well-known word 'changeme'"),
    ],
)
def test_production_refuses_a_weak_or_well_known_secret_key_without_showing_it(tmp_path, key, why):
    env = {"QILOOP_ENV": "production", "SECRET_KEY": key, "ALLOWED_HOSTS": "qiloop.example.org"}
    env["EMAIL_HOST"] = "smtp.example.org"
    result = run_workbench(["check"], env, tmp_path)
    assert result.returncode == 1
    assert "SECRET_KEY is too weak" in result.stderr and why in result.stderr
    assert key not in result.stderr and "Traceback" not in result.stderr


def test_production_refuses_a_wildcard_host():
    env = environment.Environment({"QILOOP_ENV": "production", "ALLOWED_HOSTS": "qiloop.example.org,*"})
    with pytest.raises(ImproperlyConfigured, match="wildcard"):
        environment.allowed_hosts(env)
    development = environment.Environment({"ALLOWED_HOSTS": "*"})
    assert environment.allowed_hosts(development) == ["*"]


def test_the_workbench_keeps_its_state_folder_private(tmp_path):
    """var/ holds the session database, the analytics store and uploads: 0700 folders and 0600 files."""
    var = tmp_path / "var"
    (var / "imports" / "job").mkdir(parents=True)
    (var / "imports" / "job" / "upload.zip").write_bytes(b"zip")
    (var / "workbench.sqlite3").write_bytes(b"db")
    for path in (var, var / "imports", var / "imports" / "job"):
        path.chmod(0o755)
    for path in (var / "imports" / "job" / "upload.zip", var / "workbench.sqlite3"):
        path.chmod(0o644)
    result = run_workbench(["check"], {"QILOOP_VAR_DIR": str(var)}, tmp_path)
    assert result.returncode == 0, result.stderr
    modes = {p.relative_to(var).as_posix(): p.stat().st_mode & 0o777 for p in [var, *var.rglob("*")]}
    assert modes["."] == 0o700 and modes["imports"] == 0o700 and modes["imports/job"] == 0o700
    assert modes["imports/job/upload.zip"] == modes["workbench.sqlite3"] == modes["secret_key"] == 0o600


def test_development_keeps_one_secret_key_in_var(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    env = {"DJANGO_SETTINGS_MODULE": "qiloop_web.settings"}
    outputs = []
    for _ in range(2):
        result = run_workbench(["shell", "-c", code], env, tmp_path)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout.strip().splitlines()[-1])
    key_file = tmp_path / "var" / "secret_key"
    assert outputs[0] == outputs[1] == key_file.read_text().strip()
    assert len(outputs[0]) >= 50
    assert key_file.stat().st_mode & 0o077 == 0


def test_unknown_environment_name_is_refused():
    with pytest.raises(ImproperlyConfigured, match="QILOOP_ENV"):
        environment.Environment({"QILOOP_ENV": "staging"})


def test_flag_rejects_values_that_are_not_true_or_false():
    env = environment.Environment({"QILOOP_DEBUG": "maybe"})
    with pytest.raises(ImproperlyConfigured, match="QILOOP_DEBUG"):
        env.flag("QILOOP_DEBUG", default=True)
    assert environment.Environment({"QILOOP_DEBUG": "off"}).flag("QILOOP_DEBUG", default=True) is False


def test_allowed_hosts_default_to_loopback_in_development():
    env = environment.Environment({})
    assert environment.allowed_hosts(env) == ["127.0.0.1", "localhost", "[::1]"]
    env = environment.Environment({"ALLOWED_HOSTS": " a.example.org, b.example.org ,"})
    assert environment.allowed_hosts(env) == ["a.example.org", "b.example.org"]


def test_database_url_for_postgres_decodes_credentials_and_options(tmp_path):
    config = environment.database("postgres://qi%40user:p%2Fss%3Aword@db.local:5433/qiloop?sslmode=require", tmp_path)
    assert config == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "qiloop",
        "USER": "qi@user",
        "PASSWORD": "p/ss:word",
        "HOST": "db.local",
        "PORT": "5433",
        "OPTIONS": {"sslmode": "require"},
        "CONN_MAX_AGE": 60,
    }


def test_database_url_for_sqlite_and_default(tmp_path):
    assert environment.database("sqlite:////abs/path/db.sqlite3", tmp_path)["NAME"] == "/abs/path/db.sqlite3"
    assert environment.database("sqlite:///rel/db.sqlite3", tmp_path)["NAME"] == "rel/db.sqlite3"
    default = tmp_path / "var" / "workbench.sqlite3"
    assert environment.database("", default) == {"ENGINE": "django.db.backends.sqlite3", "NAME": str(default)}
    assert default.parent.is_dir()


def test_database_url_with_unknown_scheme_is_refused(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        environment.database("mysql://u:p@h/db", tmp_path)


def test_static_files_come_from_the_npm_packages():
    from django.conf import settings
    from django.contrib.staticfiles import finders

    if not (settings.NODE_MODULES / "nhsuk-frontend").is_dir():
        pytest.skip(f"npm packages not installed at {settings.NODE_MODULES}: run `npm ci` in the repository root")
    for path in (
        "nhsuk/nhsuk-frontend.min.css",
        "nhsuk/nhsuk-frontend.min.js",
        "htmx/htmx.min.js",
        "axe-core/axe.min.js",
    ):
        found = finders.find(path)
        assert found and str(settings.NODE_MODULES) in str(found), path
    assert not (REPO_ROOT / "src" / "qiloop_web" / "ui" / "static" / "nhsuk").exists()

"""Read the workbench's configuration from environment variables.

Everything the workbench needs to know about where it runs comes from the
environment (see docs/workbench.md for the full list). Development has safe
local defaults; production refuses to start when something it needs is
missing, and names every missing variable in one message.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

ENVIRONMENTS = ("development", "production")
DEVELOPMENT_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Environment:
    """A view of the process environment that records what production lacks."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ
        self.name = self.environ.get("QILOOP_ENV", "development").strip().lower()
        if self.name not in ENVIRONMENTS:
            raise ImproperlyConfigured(
                f"QILOOP_ENV is {self.name!r}; set it to 'development' (the default) or 'production'."
            )
        self.missing: list[str] = []

    @property
    def production(self) -> bool:
        return self.name == "production"

    def get(self, name: str, default: str = "") -> str:
        return self.environ.get(name, default).strip()

    def required_in_production(self, name: str, why: str) -> str:
        """The variable's value; in production an empty value is noted as missing."""
        value = self.get(name)
        if not value and self.production:
            self.missing.append(f"  {name}: {why}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self.get(name).lower()
        if name not in self.environ:
            return default
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise ImproperlyConfigured(f"{name} is {raw!r}; set it to true or false.")

    def fail_if_incomplete(self) -> None:
        if self.missing:
            raise ImproperlyConfigured(
                "qiloop cannot start in production (QILOOP_ENV=production) because these environment "
                "variables are not set:\n" + "\n".join(self.missing) + "\nSet them and start again; "
                "see docs/workbench.md for what each one means."
            )


def var_dir(env: Environment) -> Path:
    """Where the workbench keeps local state (SQLite database, secret key, demo store)."""
    return Path(env.get("QILOOP_VAR_DIR") or "var").resolve()


MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_DISTINCT = 5
WELL_KNOWN_SECRET_WORDS = ("changeme", "change-me", "change_me", "secret", "password", "django-insecure", "example")


def weak_secret_key(value: str) -> str:
    """Why ``value`` is too weak to sign sessions in production ("" when it is strong enough)."""
    lowered = value.lower()
    if len(value) < MIN_SECRET_KEY_LENGTH:
        return f"it is {len(value)} characters long; use at least {MIN_SECRET_KEY_LENGTH}"
    if len(set(value)) < MIN_SECRET_KEY_DISTINCT:
        return f"it has fewer than {MIN_SECRET_KEY_DISTINCT} different characters"
    for word in WELL_KNOWN_SECRET_WORDS:
        if word in lowered:
            return f"it contains the well-known word {word!r}"
    return ""


def keep_private(state_dir: Path) -> None:
    """Everything the workbench writes is its own user's alone: new files 0600 and folders 0700 (umask 077),
    and what is already in ``state_dir`` (the database, the analytics store, uploads, caches) made so too."""
    os.umask(0o077)
    if not state_dir.is_dir():
        return
    state_dir.chmod(0o700)
    for root, folders, files in os.walk(state_dir):
        for name in folders:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(0o700)
        for name in files:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(0o600)


def secret_key(env: Environment, state_dir: Path) -> str:
    """SECRET_KEY from the environment; in development, one kept in var/secret_key.

    Production refuses a short, repetitive or well-known key (the message never shows the key)."""
    value = env.required_in_production(
        "SECRET_KEY", "a long random string that signs sessions and password-reset links"
    )
    if value and env.production:
        problem = weak_secret_key(value)
        if problem:
            raise ImproperlyConfigured(
                f"SECRET_KEY is too weak for production: {problem}. Make a new one, for example with\n"
                '  python -c "import secrets; print(secrets.token_urlsafe(50))"\nand start again.'
            )
    if value or env.production:
        return value
    key_file = state_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    state_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50)
    key_file.write_text(value)
    key_file.chmod(0o600)
    return value


def allowed_hosts(env: Environment) -> list[str]:
    value = env.required_in_production(
        "ALLOWED_HOSTS", "comma-separated host names the workbench answers to, e.g. qiloop.example.nhs.uk"
    )
    if not value:
        return list(DEVELOPMENT_HOSTS)
    hosts = [host.strip() for host in value.split(",") if host.strip()]
    if env.production and any("*" in host for host in hosts):
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS holds a wildcard ('*'), which answers to any host name and lets a forged Host header "
            "into password-reset links. Name the workbench's own host names, e.g. ALLOWED_HOSTS=qiloop.example.nhs.uk"
        )
    return hosts


def database(url: str, default_sqlite: Path) -> dict[str, object]:
    """Django's DATABASES['default'] from a DATABASE_URL.

    Supported: ``sqlite:///relative/path.sqlite3``, ``sqlite:////absolute/path``
    and ``postgres://user:password@host:port/name?sslmode=require`` (also
    ``postgresql://``). An empty URL means SQLite at ``default_sqlite``.
    """
    if not url:
        default_sqlite.parent.mkdir(parents=True, exist_ok=True)
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(default_sqlite)}
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        name = ":memory:" if path in ("", "/", "/:memory:") else path[1:]
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name}
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(parts.port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
            "CONN_MAX_AGE": 60,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL has scheme {parts.scheme!r}; use sqlite:///path/to/file.sqlite3 or "
        "postgres://user:password@host:5432/name."
    )

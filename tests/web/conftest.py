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

if "QILOOP_VAR_DIR" not in os.environ:
    os.environ["QILOOP_VAR_DIR"] = tempfile.mkdtemp(prefix="qiloop-web-tests-")
    atexit.register(shutil.rmtree, os.environ["QILOOP_VAR_DIR"], ignore_errors=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiloop_web.settings")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-any-real-deployment")
os.environ.setdefault("QILOOP_ENV", "development")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# Fast hashing: the tests create many people; the production hasher is unchanged.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

import pytest  # noqa: E402
from web_universe import Universe, build_universe  # noqa: E402


@pytest.fixture
def universe(db) -> Universe:
    """A small network: one ICB, two PCNs, three practices and one person per role (see web_universe.py)."""
    return build_universe()

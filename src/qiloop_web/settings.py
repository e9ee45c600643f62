"""The workbench's one settings module: everything comes from the environment.

Development (the default) runs on a laptop with nothing set: SQLite at
var/workbench.sqlite3, a secret key kept in var/secret_key, e-mail printed to
the console. Production (QILOOP_ENV=production) refuses to start until
SECRET_KEY, ALLOWED_HOSTS and EMAIL_HOST are set. docs/workbench.md lists
every variable.
"""

from __future__ import annotations

from pathlib import Path

from qiloop_web import environment

ENV = environment.Environment()
PRODUCTION = ENV.production

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent.parent
VAR_DIR = environment.var_dir(ENV)

SECRET_KEY = environment.secret_key(ENV, VAR_DIR)
ALLOWED_HOSTS = environment.allowed_hosts(ENV)
DEBUG = False if PRODUCTION else ENV.flag("QILOOP_DEBUG", default=True)

# The DuckDB analytics store the library writes (imports, measure results).
QILOOP_STORE = Path(ENV.get("QILOOP_STORE") or VAR_DIR / "demo" / "store.duckdb").resolve()

# Measure results computed from the store (python -m qiloop_web start, or compute_results).
QILOOP_RESULTS_DIR = Path(ENV.get("QILOOP_RESULTS_DIR") or VAR_DIR / "results").resolve()

# Front-end packages installed by `npm ci` at the repository root.
NODE_MODULES = Path(ENV.get("QILOOP_NODE_MODULES") or REPO_ROOT / "node_modules").resolve()

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "qiloop_web.ui",
    "qiloop_web.audit",
    "qiloop_web.accounts",
    "qiloop_web.organisations",
    "qiloop_web.dashboard",
    "qiloop_web.projects",
    "qiloop_web.teamwork",
    "qiloop_web.reidentify",
    "qiloop_web.learning",
    "qiloop_web.survey",
    "qiloop_web.audits",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "qiloop_web.audit.middleware.AuditContextMiddleware",
    "qiloop_web.ui.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "qiloop_web.urls"
WSGI_APPLICATION = "qiloop_web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": environment.database(ENV.get("DATABASE_URL"), VAR_DIR / "workbench.sqlite3")}
# Keep each server thread's connection between requests (SQLite too): opening one costs more than most queries.
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day

# Sign-in lock-out: this many failures for one e-mail address within the window lock it for the window.
# Sign-in throttling (qiloop_web.accounts.actions.throttle): free failures, then waits of 2, 4, 8 ... seconds.
QILOOP_SIGN_IN_WINDOW_MINUTES = 60
QILOOP_SIGN_IN_FREE_FAILURES = 3  # one e-mail address from one network address
QILOOP_SIGN_IN_FREE_FAILURES_PER_ADDRESS = 10  # any e-mail address from one network address
QILOOP_SIGN_IN_FREE_FAILURES_PER_ACCOUNT = 10  # one e-mail address from anywhere
QILOOP_SIGN_IN_MAX_DELAY_SECONDS = 15 * 60
QILOOP_SIGN_IN_ACCOUNT_MAX_DELAY_SECONDS = 60  # short: failures made elsewhere never lock the owner out
QILOOP_INVITATION_DAYS = 7

SESSION_COOKIE_AGE = 60 * 60 * 12  # a working day
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_TRUSTED_ORIGINS = [o.strip() for o in ENV.get("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]
# Behind a reverse proxy that terminates HTTPS: trust its X-Forwarded-Proto and X-Forwarded-For.
BEHIND_PROXY = ENV.flag("QILOOP_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = PRODUCTION and ENV.flag("QILOOP_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = int(ENV.get("QILOOP_HSTS_SECONDS") or 0) if PRODUCTION else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if PRODUCTION:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = ENV.required_in_production(
        "EMAIL_HOST", "the SMTP server that sends invitations and password-reset links"
    )
    EMAIL_PORT = int(ENV.get("EMAIL_PORT") or 587)
    EMAIL_HOST_USER = ENV.get("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = ENV.get("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = ENV.flag("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = ENV.get("DEFAULT_FROM_EMAIL") or "qiloop <qiloop@localhost>"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(ENV.get("STATIC_ROOT") or VAR_DIR / "static").resolve()
# Served straight from the npm packages: nothing from node_modules is copied into the repository.
STATICFILES_DIRS = [
    ("nhsuk", NODE_MODULES / "nhsuk-frontend" / "dist" / "nhsuk"),
    ("htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vega", NODE_MODULES / "vega" / "build"),
    ("vega-lite", NODE_MODULES / "vega-lite" / "build"),
    ("vega-embed", NODE_MODULES / "vega-embed" / "build"),
    ("axe-core", NODE_MODULES / "axe-core"),
]

# Static files are served by the workbench itself (WhiteNoise), straight from the folders above: no
# collectstatic needed, files read once at start-up, compressed variants when present, cached by browsers.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
WHITENOISE_MAX_AGE = 60 * 60 * 24  # a day: file names carry no version, so not "forever"

# Rendered chart grids, measure pages and network pages (aggregates only; never a patient-level page), per
# worker process, keyed by organisation, results fingerprint and what varies the fragment (docs/workbench.md).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "qiloop-pages",
        "TIMEOUT": None,
        "OPTIONS": {"MAX_ENTRIES": 4000},
    }
}

# The multi-process server (gunicorn) behind `serve` and `start`.
QILOOP_WEB_WORKERS = int(ENV.get("QILOOP_WEB_WORKERS") or 3)
QILOOP_WEB_THREADS = int(ENV.get("QILOOP_WEB_THREADS") or 4)

# The data page imports extracts from folders on the server only under this directory. It is not where import
# jobs keep their files (VAR_DIR / "imports"): a folder there could hold another organisation's upload.
QILOOP_IMPORT_ROOT = Path(ENV.get("QILOOP_IMPORT_ROOT") or VAR_DIR / "import-folders").resolve()
QILOOP_IMPORT_JOBS_DIR = (VAR_DIR / "imports").resolve()

# The largest extract zip the data page accepts (bytes); a larger extract can be imported from a folder.
QILOOP_MAX_UPLOAD_BYTES = int(ENV.get("QILOOP_MAX_UPLOAD_BYTES") or 1024**3)
# Uploads Django spools to disk are readable by the workbench's own user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": ENV.get("QILOOP_LOG_LEVEL") or "INFO"},
}

ENV.fail_if_incomplete()

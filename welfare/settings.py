from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
# Without DEBUG and unset, the key stays empty, which Django refuses to use: a
# server does not start (welfare/wsgi.py, asgi.py), check --deploy fails
# (security.W009), and a command that signs nothing (makemigrations --check) runs.
SECRET_KEY = env("SECRET_KEY", default="django-insecure-development-only" if DEBUG else "")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "welfare",
    "programs",
    "homehelp",
    "reports",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # The unaccent lookup of the people search (welfare.people.search_q).
    "django.contrib.postgres",
    "bootstrap",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy, no-store on pages with personal data, no cookie on
    # answers that caches keep (before the session and CSRF, to see their cookies).
    "welfare.headers.PrivacyHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's LoginRequiredMiddleware, which reads no session for a public page.
    "welfare.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # A control character in a parameter or form field, an admin date beyond 9998: 400.
    "welfare.middleware.RefuseUnreadableInputMiddleware",
    "welfare.middleware.SignInPolicyMiddleware",
    # Volunteers' accounts reach their phone page only.
    "welfare.roles.VolunteerPagesMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "welfare.urls"
WSGI_APPLICATION = "welfare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A reused connection is tested (SELECT 1) before a request's first query, so that a
# database restart or a dropped connection costs no request an error; one round trip
# per request (see docs/performance-notes.md).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
# A request that writes either commits whole or changes nothing.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # When the database is unreachable, pages answer 503 in seconds, not minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    # Planner settings for a web application whose data fit in memory or on SSD:
    # index lookups cost little more than sequential reads, and no parallel
    # workers compete with the other requests for a small server's cores. With
    # the defaults (spinning disks), pages of 25 rows scanned the whole people
    # table (see docs/performance-notes.md). The server-side cursors of exports
    # read every row: planned for all of them, not for the first tenth.
    DATABASES["default"]["OPTIONS"].setdefault(
        "options",
        "-c random_page_cost=1.1 -c max_parallel_workers_per_gather=0 -c cursor_tuple_fraction=1",
    )
else:
    # SQLite (a laptop) builds the covering indexes without their extra columns.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
# Behind PgBouncer in transaction mode, a server-side cursor (an export's rows read
# a chunk at a time) cannot outlive its transaction: DISABLE_SERVER_SIDE_CURSORS=true
# then reads each export's rows at once (see the README, "More than one server").
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
    "DISABLE_SERVER_SIDE_CURSORS", default=False
)
# An optional read replica of the primary (streaming replication), read by the
# reports, the dashboards, the exports and /stats/ (welfare.replica). The tests run
# on one database: the replica is then the primary's mirror.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **env.db("DATABASE_REPLICA_URL"),
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": DATABASES["default"]["CONN_HEALTH_CHECKS"],
        # It is only read: no transaction around a request.
        "ATOMIC_REQUESTS": False,
        # The exports read from it: it may be reached directly, with server-side cursors,
        # while the primary is behind a transaction-mode pool.
        "DISABLE_SERVER_SIDE_CURSORS": env.bool(
            "DATABASE_REPLICA_DISABLE_SERVER_SIDE_CURSORS",
            default=DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"],
        ),
        "TEST": {"MIRROR": "default"},
    }
    DATABASES["replica"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        **DATABASES["replica"].get("OPTIONS", {}),
    }
DATABASE_ROUTERS = ["welfare.replica.ReplicaRouter"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo serves several browsers and an import at once (`make run`): in WAL
    # mode readers do not wait for the writer; every transaction takes the write
    # lock when it begins (IMMEDIATE), so that two requests never both read and
    # then fail to upgrade to a write ("database is locked"); a writer waits up
    # to `timeout` seconds for the other to finish.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and sign-in ------------------------------------------------------

AUTH_USER_MODEL = "welfare.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, with the user's permissions read once per process.
    "welfare.roles.RolesBackend",
]
# Five wrong passwords for one user name from one address lock that pair out for 15
# minutes; fifty for any user names lock the address (welfare.sign_in.LockoutHandler).
AXES_FAILURE_LIMIT = 5
SIGN_IN_ADDRESS_FAILURE_LIMIT = 50
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "welfare.sign_in.LockoutHandler"
AXES_USERNAME_CALLABLE = "welfare.sign_in.attempted_user_name"
# Password-reset mails an hour: to one e-mail address, and from one IP address (an
# office behind one connection shares it). See PasswordResetRequest.objects.allow().
PASSWORD_RESET_LIMIT_PER_ACCOUNT = 3
PASSWORD_RESET_LIMIT_PER_ADDRESS = 10
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "welfare.middleware.client_address"
# Idle sessions end after 30 minutes: welfare.middleware renews the session once a
# minute of activity (SESSION_SAVE_EVERY_REQUEST would write it on every request).
# Every sign-in ends after 12 hours whatever the activity.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_MAX_HOURS = 12

# A deleted person stays restorable by an administrator this long; then
# `manage.py purge_deleted` (daily) erases the record and its history.
PERSON_RETENTION_DAYS = env.int("PERSON_RETENTION_DAYS", default=30)
# Look-ups by MyKad of people outside the user's full details, per user and day.
PERSON_LOOKUPS_PER_DAY = env.int("PERSON_LOOKUPS_PER_DAY", default=200)

# Roles asked for a second factor (TOTP) after the password: "HQ" and
# "administrator" (superusers). District and state officers are not asked.
OTP_REQUIRED_ROLES = env.list("OTP_REQUIRED_ROLES", default=["HQ", "administrator"])
OTP_TOTP_ISSUER = "JKM Welfare"
# An authenticator app is added only through an enrolment that an administrator
# (or the user's current app) issues: its key is shown once, and it lapses after
# this many days unused.
OTP_ENROLMENT_DAYS = env.int("OTP_ENROLMENT_DAYS", default=3)
# The admin shows no device's key or QR code: nobody but the enrolled user sees it.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ms", _("Bahasa Melayu"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates day first and RM 1,234.50 in both languages (welfare/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["welfare.formats"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "Asia/Kuala_Lumpur"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security ---------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Production is HTTPS only; `make run` (DEBUG) serves plain HTTP on localhost.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_REFERRER_POLICY = "same-origin"
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
# The addresses or networks of the proxies in front of the app (e.g. 10.0.0.5,
# 10.1.0.0/24): welfare.middleware.client_address reads X-Forwarded-For only from
# them. BEHIND_PROXY without them fails a system check.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Imports ----------------------------------------------------------------

# An uploaded file, and what an .xlsx (a zip) may unpack to: every member together.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_UNPACKED_BYTES = env.int("IMPORT_MAX_UNPACKED_BYTES", default=50 * 1024 * 1024)

# --- Published editions ----------------------------------------------------

# The smallest count of people the public outputs (/stats/, the open-data files)
# show: fewer is shown as "<3", with a second figure withheld where a TOTAL would
# give it away (reports.suppression). 0 shows every count; 1 and 2 would say what
# they hide ("<2" is 1), so they are refused. Signed-in reports are exact.
PUBLIC_MIN_CELL = env.int("PUBLIC_MIN_CELL", default=3)
if PUBLIC_MIN_CELL in (1, 2) or PUBLIC_MIN_CELL < 0:
    raise ImproperlyConfigured("PUBLIC_MIN_CELL is 0 (every count shown) or at least 3.")

# --- Logging ----------------------------------------------------------------

# Django's default logging, with every MyKad in a log line masked (welfare/logs.py).
# Without DEBUG, Django would only mail errors to ADMINS: warnings and errors
# (500s, 503s, refused requests) go to stderr, where gunicorn and journald keep them.
LOGGING_CONFIG = "welfare.logs.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "filters": ["require_debug_false"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["stderr"], "level": env("LOG_LEVEL", default="WARNING")},
}

# --- E-mail (password resets, reminders) ------------------------------------

# e.g. smtp+tls://user:password@smtp.example.gov.my:587; the default prints to the console.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="JKM Welfare <noreply@localhost>")
# Where the site is, for the links in e-mails sent by commands (send_reminders),
# which have no request to take it from: e.g. https://kebajikan.example.gov.my
SITE_URL = env("SITE_URL", default="")

# --- Forms ------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# The lists' filters start at "Any" (django-filter's default is "---------").
FILTERS_EMPTY_CHOICE_LABEL = _("Any")

"""The one settings module. Everything environment-specific is read from the environment.

Unset variables give the embedded defaults (SQLite, in-process cache, Celery tasks run inline, email to
the console) so that a fresh clone runs with no service at all. See README.md, "Configuration".
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from quitgpt.env import env_base64_key, env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", True)

# Refused whenever debug is off (below): it can only ever sign a local development session.
_DEV_SECRET = "dev-only-insecure-key-never-use-in-production-0123456789abcdefghijklmnop"  # noqa: S105  # nosec B105
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = _DEV_SECRET
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY == _DEV_SECRET):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is too weak: use at least 50 random characters.")

# The Ed25519 seed that signs the count's log heads (tally.log). On the embedded defaults a key is
# generated once and kept in the database; production must bring its own, like the secret key.
LOG_SIGNING_KEY = env_base64_key("LOG_SIGNING_KEY", length=32)
if not LOG_SIGNING_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "LOG_SIGNING_KEY must be set when DJANGO_DEBUG is off (base64 of 32 random bytes:"
        " `openssl rand -base64 32`)."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must list the site's host names when DJANGO_DEBUG is off."
    )

SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", schemes=("http", "https")).rstrip("/")

# Behind a reverse proxy: how many proxies append to X-Forwarded-For. 0 trusts none of it.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0, maximum=10)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_countries",
    "simple_history",
    "csp",
    "quitgpt",
    "accounts",
    "pledges",
    "tally",
    "alternatives",
    "events",
    "outbox",
    "updates",
    "campaign",
]

MIDDLEWARE = [
    # First: a stored public page answers before the rest of the chain runs (quitgpt.pagecache).
    "quitgpt.pagecache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Compresses HTML pages (static files come precompressed from whitenoise). BREACH: Django's gzip pads
    # each answer with random bytes (Heal The Breach), and the pages that hold a secret (CSRF token,
    # private link) never reflect attacker input beside it.
    "quitgpt.middleware.HtmlGZipMiddleware",
    "accounts.middleware.PermissionsPolicyMiddleware",
    "quitgpt.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "quitgpt.middleware.UrlDecidesLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, with the policy built once per process (quitgpt.middleware.CSPMiddleware).
    "quitgpt.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffSessionMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that its 400 still carries every header set above (CSP, frame options, ...).
    "quitgpt.middleware.RefuseNulBytesMiddleware",
]

ROOT_URLCONF = "quitgpt.urls"
WSGI_APPLICATION = "quitgpt.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "quitgpt.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
DATABASE_URL = env_url(
    "DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}", schemes=("sqlite", "postgres", "postgresql")
)
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
except ValueError as exc:  # pragma: no cover - dj_database_url's own message is clear enough
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
# PostgreSQL: the statements every signature runs are sent with server-side binding
# (quitgpt.rows.prepared_cursor) and prepared by psycopg after this many uses on a connection; 0 turns
# that off (behind a PgBouncer in transaction mode older than 1.21, or without max_prepared_statements).
# Other queries are never prepared (Django's client-side binding).
_prepare_after = env_int("DATABASE_PREPARE_THRESHOLD", 5, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
else:
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = _prepare_after or None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if USING_POSTGRES:
    # Django's backend, with a health check that asks the socket before sending SELECT 1.
    DATABASES["default"]["ENGINE"] = "quitgpt.postgres"

# --- Cache and Celery -----------------------------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis, and a table in the database while Redis is unreachable (quitgpt/cache.py).
            "BACKEND": "quitgpt.cache.RedisWithDatabaseFallback",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "quitgpt",
            "TIMEOUT": 300,
            # A dead Redis must not hang a request: fail fast and fall back (see tally.selectors).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "quitgpt"}}
    CELERY_BROKER_URL = "memory://"
    # No broker: tasks run inline, in the request that enqueues them (after commit).
    CELERY_TASK_ALWAYS_EAGER = True
# Sessions live in the database only, never in the cache: a Redis outage must not sign anyone out or
# break their requests, and a cached copy that missed a logout must not come back with Redis.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Enqueueing must not hang a request when Redis is down: the periodic sweep sends what is owed.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TIMEZONE = "UTC"
# The periodic schedule lives in quitgpt/celery.py, in one place, each entry with its reason.

# --- Email ----------------------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "QuitGPT <hello@quitgpt.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_HOST:
    # Django's SMTP backend, with the commit point before DATA's final dot (quitgpt/smtp.py): an owed
    # email is recorded as sent exactly when the relay takes it over, so a killed worker never causes a
    # second copy.
    EMAIL_BACKEND = "quitgpt.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Auth (django-allauth) ------------------------------------------------------------------------------
# Supporters have no password: they sign up with their address alone, verify it with a code, and sign in
# with a one-time code sent to it. Organisers (staff) sign in with a password, then a TOTP code (MFA is
# required of staff before any admin page: accounts.middleware.StaffSessionMiddleware).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:index"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
# The password is optional on the sign-in form: empty, allauth sends a sign-in code instead.
ACCOUNT_FORMS = {
    "login": "accounts.forms.LoginForm",
    "signup": "accounts.forms.SignupForm",
    "request_login_code": "accounts.forms.RequestLoginCodeForm",
}
# allauth's emails (codes, notices) are owed through the outbox and sent by a task, so a request never
# waits on SMTP; their links start with SITE_URL, not the request's Host (accounts.adapter, accounts.links);
# organisers' first sign-in: accounts.adapter.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# A code typed on the page that asked for it, rather than a link: nothing to click in a mail client, and
# the signup finishes in the same browser session.
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[QuitGPT] "
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "QuitGPT"
# An idle organiser's session ends after this long (accounts.middleware); supporters keep Django's default.
STAFF_IDLE_TIMEOUT = 30 * 60
# Rate limits (allauth counts them in the Django cache: Redis in production, shared by every web node).
# Format: "<n>/<period>/<what>" where what is ip, key (the address typed) or user; several are ANDed.
# allauth reads the client address through ALLAUTH_TRUSTED_PROXY_COUNT, set below to TRUSTED_PROXIES so
# that all visitors behind our proxy do not share one bucket.
ACCOUNT_RATE_LIMITS = {
    # Any sign-in attempt: generous per address (a campus or office shares one IP), stops a flood.
    "login": "30/m/ip",
    # Wrong passwords: 5 per 5 minutes for one account stops guessing an organiser's password; 10 a
    # minute from one address stops spraying many accounts. (Also counts wrong TOTP codes per user.)
    "login_failed": "10/m/ip,5/5m/key",
    # Asking for a sign-in code sends an email: 3 an hour to one address so that nobody can bomb an
    # inbox through us, 20 an hour from one client.
    "request_login_code": "20/h/ip,3/h/key",
    # Re-sending a verification code to one address: once a minute at most, for the same reason.
    "confirm_email": "1/m/key",
    # Creating accounts: a person signs up once; 10 an hour from one address leaves room for a household.
    "signup": "10/h/ip",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
# Password reset mails (organisers only have passwords): as for codes. (Rates, not passwords: bandit's
# B105 only sees the word in allauth's names.)
ACCOUNT_RATE_LIMITS["reset_password"] = "20/h/ip,3/h/key"  # noqa: S105 # nosec B105
ACCOUNT_RATE_LIMITS["reset_password_from_key"] = "20/m/ip"  # noqa: S105 # nosec B105
ACCOUNT_RATE_LIMITS["change_password"] = "5/m/user"  # noqa: S105 # nosec B105
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXIES

# --- Internationalisation -------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
# One date style and one date-time style per language, read only through quitgpt.dates.
FORMAT_MODULE_PATH = ["quitgpt.formats"]

# --- Static files ---------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security -------------------------------------------------------------------------------------------
# On by default in production; DJANGO_HTTPS=0 allows a production-like run on plain http://127.0.0.1
# (benchmarks, end-to-end tests).
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # The __Host- prefix makes the browser refuse the cookie unless it is Secure, for this exact host and
    # path /: a sibling subdomain cannot plant or overwrite a session or CSRF cookie.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
# Cookies exist only for signed-in people and pages with a CSRF-protected form (sign-in, admin); public
# pages set none (tests/accounts/test_headers.py), so that a CDN can cache them for everyone.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = [SITE_URL]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Framing is refused everywhere (X-Frame-Options and CSP frame-ancestors) except the counter embed, which
# exempts itself (xframe_options_exempt and its own frame-ancestors).
X_FRAME_OPTIONS = "DENY"
# Browser features no page of ours uses, switched off for us and for anything that might be injected
# (accounts.middleware.PermissionsPolicyMiddleware). "browsing-topics" is the opt-out from ad targeting
# that replaced FLoC's "interest-cohort" (which Chromium now reports as an unknown feature).
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "browsing-topics": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}

# Strict policy: no inline script anywhere; everything from our own origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "frame-src": ["'none'"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Logging --------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Private tokens (confirm, manage, cancel, reset links) are redacted from every line.
    "filters": {"redact_tokens": {"()": "quitgpt.logredact.RedactTokensFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_tokens"]}
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's own handlers for these (an unfiltered console copy while debugging, mail_admins) are
        # replaced by the one filtered console: every line goes through the token redaction.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- alternatives ---
# Suggestions accepted from one client address per hour (abuse limit on the public form).
ALTERNATIVES_SUGGESTIONS_PER_HOUR = env_int("ALTERNATIVES_SUGGESTIONS_PER_HOUR", 5, minimum=1, maximum=1000)
# --- events ---------------------------------------------------------------------------------------------
# Confirmed RSVPs get their reminder when the event starts within this many hours (the day before).
EVENTS_REMINDER_HOURS = env_int("EVENTS_REMINDER_HOURS", 24, minimum=1, maximum=168)
# More RSVPs than this from one IP address in an hour are dropped silently (same answer to the visitor).
EVENTS_RSVPS_PER_IP_PER_HOUR = env_int("EVENTS_RSVPS_PER_IP_PER_HOUR", 20, minimum=1)
# --- pledges -------------------------------------------------------------------------------------------
# Each web process keeps the signing rules (settings row, block lists) at most this long; an organiser's
# change applies at once anyway (pledges.rules). Off when debugging (and so in tests).
PLEDGES_RULES_CACHE_SECONDS = env_int(
    "PLEDGES_RULES_CACHE_SECONDS", 0 if DEBUG else 60, minimum=0, maximum=3600
)
# In production a pledge publishes no task: its email is owed in the database and a batch task sends what
# is owed every this many seconds (quitgpt/celery.py). 0 (when debugging, and so in tests): a task per
# submission, enqueued on commit.
PLEDGES_EMAIL_BATCH_SECONDS = env_int("PLEDGES_EMAIL_BATCH_SECONDS", 0 if DEBUG else 2, minimum=0, maximum=60)
# --- tally ----------------------------------------------------------------------------------------------
# How often the tally job runs (Celery beat, or the in-process scheduler on the embedded defaults).
TALLY_RECOMPUTE_SECONDS = env_int("TALLY_RECOMPUTE_SECONDS", 30, minimum=5, maximum=3600)
# /healthz turns "degraded" when the published snapshot was last confirmed longer ago than this.
TALLY_STALE_SECONDS = env_int(
    "TALLY_STALE_SECONDS", max(4 * TALLY_RECOMPUTE_SECONDS, 120), minimum=10, maximum=86400
)
# Without a broker (embedded defaults) nobody runs beat: a daemon thread in the web process runs the job.
TALLY_INPROCESS_SCHEDULER = env_bool("TALLY_INPROCESS_SCHEDULER", not REDIS_URL)
# Each web process keeps the published figures this long before asking Redis again (0: always ask).
# Off when debugging (and so in tests), where a change must show at once.
TALLY_LOCAL_CACHE_SECONDS = env_int("TALLY_LOCAL_CACHE_SECONDS", 0 if DEBUG else 1, minimum=0, maximum=60)
# Public pages (and /api/tally, the badge, the counter embed) are kept rendered in each web process this
# long for anonymous visitors (quitgpt.pagecache); a new tally snapshot re-renders them at once. 0: off.
# Off when debugging (and so in tests, which switch it on where they test it).
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 0 if DEBUG else 5, minimum=0, maximum=60)
# How often the pages' counter polls /api/tally (the brief: every 10 to 15 s).
TALLY_POLL_SECONDS = env_int("TALLY_POLL_SECONDS", 12, minimum=1, maximum=300)
# Benchmarks only: serve a bare JSON view at /bench/bare to compare /api/tally with.
BENCH_BARE_VIEW = env_bool("BENCH_BARE_VIEW", False)
# --- updates --------------------------------------------------------------------------------------------
# Sending an update needs a second organiser's approval (off for a team of one or two).
UPDATES_REQUIRE_APPROVAL = env_bool("UPDATES_REQUIRE_APPROVAL", True)
# Recipients per batch task (read by keyset pagination, recorded before any SMTP call).
UPDATES_BATCH_SIZE = env_int("UPDATES_BATCH_SIZE", 500, minimum=1, maximum=10000)
# Messages per second per update (what the relay accepts); 0: as fast as the relay answers.
UPDATES_RATE_PER_SECOND = env_int("UPDATES_RATE_PER_SECOND", 20, minimum=0, maximum=100000)
# At most this many campaign updates to one supporter in 7 days; the rest are skipped for them.
UPDATES_PER_WEEK = env_int("UPDATES_PER_WEEK", 2, minimum=1, maximum=50)
# Shared secret of the bounce webhook (/updates/bounces/webhook); unset: the webhook refuses everything.
UPDATES_BOUNCE_WEBHOOK_SECRET = env_str("UPDATES_BOUNCE_WEBHOOK_SECRET", "")
if UPDATES_BOUNCE_WEBHOOK_SECRET and len(UPDATES_BOUNCE_WEBHOOK_SECRET) < 20:
    raise ImproperlyConfigured("UPDATES_BOUNCE_WEBHOOK_SECRET must be at least 20 characters.")
# The bounce mailbox read by `manage.py read_bounces`: imaps://user:password@host/INBOX.
UPDATES_BOUNCE_IMAP_URL = env_url("UPDATES_BOUNCE_IMAP_URL", "", schemes=("imap", "imaps"))

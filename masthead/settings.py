"""Masthead's settings: every environment variable is declared here, in one place.

Invariant: with no environment at all the site runs on a laptop (SQLite in WAL mode
under var/, a local-memory cache, the database task backend, email written to files
under var/mail/). Setting MASTHEAD_PRODUCTION=1 turns on the production posture and
refuses to start without a real secret key and allowed hosts.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from masthead.core.security import static_file_headers

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# --------------------------------------------------------------------------------------
# Environment variables (the complete list; the README documents each one)
# --------------------------------------------------------------------------------------
PRODUCTION: bool = env.bool("MASTHEAD_PRODUCTION", default=False)
DEBUG: bool = env.bool("MASTHEAD_DEBUG", default=not PRODUCTION)
SECRET_KEY: str = env.str("MASTHEAD_SECRET_KEY", default="")
ALLOWED_HOSTS: list[str] = env.list(
    "MASTHEAD_ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("MASTHEAD_CSRF_TRUSTED_ORIGINS", default=[])
WAGTAILADMIN_BASE_URL: str = env.str("MASTHEAD_BASE_URL", default="http://127.0.0.1:8000")
DATABASE_URL: str = env.str("DATABASE_URL", default="")
REDIS_URL: str = env.str("REDIS_URL", default="")
EMAIL_URL: str = env.str("EMAIL_URL", default="")
# The address emails come from; their sender name is always the newsroom's (below).
DEFAULT_FROM_EMAIL: str = env.str("MASTHEAD_FROM_EMAIL", default="newsroom@localhost")
# Where readers' replies go (masthead.core.email): empty sends no Reply-To, so replies
# go to the sender address.
EMAIL_REPLY_TO: str = env.str("MASTHEAD_REPLY_TO", default="")
TIME_ZONE: str = env.str("MASTHEAD_TIME_ZONE", default="Europe/London")
MEDIA_ROOT: str = env.str("MASTHEAD_MEDIA_ROOT", default=str(VAR_DIR / "media"))
STATIC_ROOT: str = env.str("MASTHEAD_STATIC_ROOT", default=str(VAR_DIR / "static"))
SQLITE_PATH: str = env.str("MASTHEAD_SQLITE_PATH", default=str(VAR_DIR / "masthead.sqlite3"))
# Seconds a shared cache (CDN, Varnish) may keep an anonymous page.
PUBLIC_CACHE_SECONDS: int = env.int("MASTHEAD_PUBLIC_CACHE_SECONDS", default=120)
# How many reverse proxies in front of the app append to X-Forwarded-For.
TRUSTED_PROXY_COUNT: int = env.int("MASTHEAD_TRUSTED_PROXY_COUNT", default=0)
SECURE_SSL_REDIRECT: bool = env.bool("MASTHEAD_SSL_REDIRECT", default=PRODUCTION)
# Where that redirect sends plain-HTTP requests when HTTPS is on another host:port
# (empty: the same host). Used by `make check-headers`, which serves both on loopback.
SECURE_SSL_HOST: str | None = env.str("MASTHEAD_SSL_HOST", default="") or None
LOG_LEVEL: str = env.str("MASTHEAD_LOG_LEVEL", default="INFO")
# Where to POST {"urls": [...]} when pages a CDN may hold change (masthead.access.purge).
CDN_PURGE_URL: str = env.str("MASTHEAD_CDN_PURGE_URL", default="")
# Varnish running deploy/varnish/masthead.vcl, told to purge by cache tag (xkey): the
# addresses it listens on for purges, e.g. http://127.0.0.1:6081/ (comma-separated for
# several); soft purges keep the old page for its grace while the new one is fetched.
VARNISH_PURGE_URLS: list[str] = env.list("MASTHEAD_VARNISH_PURGE_URLS", default=[])
VARNISH_SOFT_PURGE: bool = env.bool("MASTHEAD_VARNISH_SOFT_PURGE", default=False)
# nginx running deploy/nginx/masthead.conf, told to fetch changed addresses again:
# where it answers on loopback, e.g. http://127.0.0.1:80 (comma-separated for several).
NGINX_REFRESH_URLS: list[str] = env.list("MASTHEAD_NGINX_REFRESH_URLS", default=[])
# The demo editor's password (`make demo` only; never used in production).
MASTHEAD_DEMO_PASSWORD: str = env.str("MASTHEAD_DEMO_PASSWORD", default="masthead-demo")
# The registration bot check: altcha (self-hosted proof of work), recaptcha, hcaptcha,
# turnstile, or off (development only). The three hosted ones need their two keys.
BOTCHECK_PROVIDER: str = env.str("MASTHEAD_BOTCHECK", default="altcha")
BOTCHECK_SITE_KEY: str = env.str("MASTHEAD_BOTCHECK_SITE_KEY", default="")
BOTCHECK_SECRET_KEY: str = env.str("MASTHEAD_BOTCHECK_SECRET_KEY", default="")
# Staff need a second factor (TOTP app or passkey) to use the admins (masthead.readers.mfa).
MASTHEAD_REQUIRE_STAFF_MFA: bool = env.bool("MASTHEAD_REQUIRE_STAFF_MFA", default=PRODUCTION)
# Durable email (masthead.core.outbox): seconds an SMTP conversation may hang; seconds a
# worker holds an email before it is presumed dead (must exceed the SMTP timeout);
# backoff between retries (doubling from the base up to the cap, jittered); attempts
# before an email is marked failed for staff to see.
EMAIL_TIMEOUT: int = env.int("MASTHEAD_EMAIL_TIMEOUT", default=30)
OUTBOX_LEASE_SECONDS: int = env.int("MASTHEAD_OUTBOX_LEASE_SECONDS", default=300)
OUTBOX_RETRY_BASE_SECONDS: float = env.float("MASTHEAD_OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_RETRY_MAX_SECONDS: float = env.float("MASTHEAD_OUTBOX_RETRY_MAX_SECONDS", default=3600)
OUTBOX_MAX_ATTEMPTS: int = env.int("MASTHEAD_OUTBOX_MAX_ATTEMPTS", default=16)
# Newsletter sending (masthead.newsletters.sending): recipients per batch; SMTP
# connections each worker keeps open (each reused across messages); seconds a worker
# holds a batch without renewing it before another may take it over; the email backend
# (blank: EMAIL_BACKEND; e.g. "anymail.backends.postmark.EmailBackend"); retries of
# temporary refusals; how long an unsubscribe link stays valid.
NEWSLETTER_BATCH_SIZE: int = env.int("MASTHEAD_NEWSLETTER_BATCH_SIZE", default=1000)
NEWSLETTER_CONNECTIONS: int = env.int("MASTHEAD_NEWSLETTER_CONNECTIONS", default=4)
NEWSLETTER_LEASE_SECONDS: float = env.float("MASTHEAD_NEWSLETTER_LEASE_SECONDS", default=60)
NEWSLETTER_EMAIL_BACKEND: str = env.str("MASTHEAD_NEWSLETTER_EMAIL_BACKEND", default="")
NEWSLETTER_RETRY_BASE_SECONDS: float = env.float(
    "MASTHEAD_NEWSLETTER_RETRY_BASE_SECONDS", default=60
)
NEWSLETTER_MAX_ATTEMPTS: int = env.int("MASTHEAD_NEWSLETTER_MAX_ATTEMPTS", default=6)
NEWSLETTER_UNSUBSCRIBE_DAYS: int = env.int("MASTHEAD_NEWSLETTER_UNSUBSCRIBE_DAYS", default=180)
# Open newsletters' double opt-in: how long a confirmation link works (an unconfirmed
# sign-up is deleted after it), and how long before asking again sends another email.
NEWSLETTER_CONFIRM_HOURS: int = env.int("MASTHEAD_NEWSLETTER_CONFIRM_HOURS", default=48)
NEWSLETTER_CONFIRM_RESEND_MINUTES: int = env.int(
    "MASTHEAD_NEWSLETTER_CONFIRM_RESEND_MINUTES", default=15
)
# django-anymail (a provider's API as the newsletter backend, and its tracking webhooks
# for bounces and complaints): the webhooks' basic-auth "user:password" (required in
# production when an anymail backend is chosen), and the provider's settings as JSON,
# e.g. {"MAILGUN_API_KEY": "...", "MAILGUN_WEBHOOK_SIGNING_KEY": "..."}.
ANYMAIL_WEBHOOK_SECRET: str = env.str("MASTHEAD_ANYMAIL_WEBHOOK_SECRET", default="")
ANYMAIL_PROVIDER: dict = env.json("MASTHEAD_ANYMAIL", default={})
# In-app DKIM signing of newsletters (masthead.newsletters.dkim), for a mail server that
# does not sign: the signing domain, the selector (the key's TXT record is at
# <selector>._domainkey.<domain>) and the private key as a PEM file path or the PEM
# itself. All blank: nothing is signed by the app.
DKIM_DOMAIN: str = env.str("MASTHEAD_DKIM_DOMAIN", default="")
DKIM_SELECTOR: str = env.str("MASTHEAD_DKIM_SELECTOR", default="")
DKIM_PRIVATE_KEY_PATH: str = env.str("MASTHEAD_DKIM_PRIVATE_KEY_PATH", default="")
DKIM_PRIVATE_KEY: str = env.str("MASTHEAD_DKIM_PRIVATE_KEY", default="", multiline=True)
# Seconds a task may stay RUNNING before its worker is presumed dead and the task is
# queued again (masthead.core.taskqueue); longer than the longest legitimate task.
TASKS_STALE_SECONDS: int = env.int("MASTHEAD_TASK_STALE_SECONDS", default=900)
# Registration attempts counted per client IP and in all over a window of
# SIGNUP_WINDOW_SECONDS (masthead.readers.signup_limits): the per-IP allowance, the
# total from which a burst tightens the limits, and the total that stops registration.
SIGNUP_WINDOW_SECONDS: int = env.int("MASTHEAD_SIGNUP_WINDOW_SECONDS", default=600)
SIGNUP_IP_LIMIT: int = env.int("MASTHEAD_SIGNUP_IP_LIMIT", default=10)
SIGNUP_BURST_THRESHOLD: int = env.int("MASTHEAD_SIGNUP_BURST_THRESHOLD", default=100)
SIGNUP_GLOBAL_LIMIT: int = env.int("MASTHEAD_SIGNUP_GLOBAL_LIMIT", default=2000)
# Virtual events (masthead.events.links): minutes before the start a registrant's
# personal join link opens the platform's address.
EVENTS_JOIN_OPENS_MINUTES: int = env.int("MASTHEAD_EVENTS_JOIN_OPENS_MINUTES", default=15)

if PRODUCTION:
    problems = []
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
        problems.append("MASTHEAD_SECRET_KEY must be a random string of at least 50 characters")
    if not ALLOWED_HOSTS:
        problems.append("MASTHEAD_ALLOWED_HOSTS must list the site's host names")
    if DEBUG:
        problems.append("MASTHEAD_DEBUG must be off in production")
    if EMAIL_REPLY_TO and "@" not in EMAIL_REPLY_TO:
        problems.append("MASTHEAD_REPLY_TO must be an email address")
    if NEWSLETTER_EMAIL_BACKEND.startswith("anymail.") and not ANYMAIL_WEBHOOK_SECRET:
        problems.append(
            "MASTHEAD_ANYMAIL_WEBHOOK_SECRET must be set when the newsletter backend is anymail"
        )
    dkim_parts = [DKIM_DOMAIN, DKIM_SELECTOR, DKIM_PRIVATE_KEY_PATH or DKIM_PRIVATE_KEY]
    if any(dkim_parts) and not all(dkim_parts):
        problems.append(
            "MASTHEAD_DKIM_DOMAIN, MASTHEAD_DKIM_SELECTOR and a private key "
            "(MASTHEAD_DKIM_PRIVATE_KEY_PATH or MASTHEAD_DKIM_PRIVATE_KEY) go together"
        )
    if BOTCHECK_PROVIDER == "off":
        problems.append("MASTHEAD_BOTCHECK=off is for development only")
    if BOTCHECK_PROVIDER in ("recaptcha", "hcaptcha", "turnstile") and not (
        BOTCHECK_SITE_KEY and BOTCHECK_SECRET_KEY
    ):
        problems.append(
            "MASTHEAD_BOTCHECK_SITE_KEY and MASTHEAD_BOTCHECK_SECRET_KEY are needed for "
            + BOTCHECK_PROVIDER
        )
    if problems:
        raise ImproperlyConfigured(
            "Production settings are incomplete: " + "; ".join(problems) + ". See README.md."
        )
elif not SECRET_KEY:
    # Local use only: a fixed, clearly labelled key so sessions survive restarts.
    SECRET_KEY = "django-insecure-local-only-masthead-key-never-use-in-production"  # noqa: S105

# --------------------------------------------------------------------------------------
# Applications
# --------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "masthead.core",
    "masthead.readers",
    "masthead.content",
    "masthead.community",
    "masthead.access",
    "masthead.newsletters",
    "anymail",
    "masthead.events",
    "masthead.demo",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "masthead.core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "masthead.core.middleware.PublicCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "masthead.readers.session_activity.UserSessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "masthead.readers.mfa.StaffSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "masthead.core.cache.CacheUnavailableMiddleware",
]

ROOT_URLCONF = "masthead.urls"
WSGI_APPLICATION = "masthead.wsgi.application"
AUTH_USER_MODEL = "readers.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "masthead" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "masthead.core.context_processors.site_chrome",
                "masthead.content.navigation.navigation",
                "masthead.community.context_processors.notifications",
            ],
        },
    }
]

# --------------------------------------------------------------------------------------
# Data: database, cache, tasks, email
# --------------------------------------------------------------------------------------
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    Path(SQLITE_PATH).parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # WAL lets readers go on while the task worker writes; IMMEDIATE makes
                # write transactions take the lock up front instead of failing midway.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    # With Redis down, reads are misses and writes are skipped (pages and sessions go on
    # from the database), except rate-limit counters, which refuse politely instead of
    # letting everything through (masthead.core.cache).
    CACHES = {
        "default": {
            "BACKEND": "masthead.core.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "masthead",
            "TIMEOUT": 300,
            # Rate-limit and sign-up counters are never skipped (a dead Redis refuses
            # politely, masthead.core.cache); nor is forgetting a cached session.
            "OPTIONS": {
                "STRICT_KEY_PREFIXES": [
                    "allauth:rl:",
                    "masthead:signup-limits:",
                    "masthead:community-rl:",
                ],
                "STRICT_DELETE_PREFIXES": ["django.contrib.sessions.cached_db"],
            },
        },
        "renditions": {
            "BACKEND": "masthead.core.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "masthead-renditions",
            "TIMEOUT": 3600,
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "renditions": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "renditions",
        },
    }

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

if EMAIL_URL:
    vars().update(env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
SERVER_EMAIL = DEFAULT_FROM_EMAIL  # error mail to admins: plain, needs no database
# django-anymail's settings: the provider's keys, and the webhooks' basic auth.
ANYMAIL = {
    **ANYMAIL_PROVIDER,
    **({"WEBHOOK_SECRET": ANYMAIL_WEBHOOK_SECRET} if ANYMAIL_WEBHOOK_SECRET else {}),
}


def _newsroom_sender(configured: str) -> str:
    # Imported when called: settings load before any app, so they may not import one.
    from masthead.core.newsroom import sender_address

    return sender_address(configured)


# Emails come from the newsroom by name, as its Wagtail Site calls it (lazy: read when sent).
DEFAULT_FROM_EMAIL = lazy(_newsroom_sender, str)(DEFAULT_FROM_EMAIL)

# --------------------------------------------------------------------------------------
# Accounts and passwords
# --------------------------------------------------------------------------------------
# Argon2id, with parameters chosen and measured in bench/bench_accounts.py (see
# masthead/readers/hashers.py). Hashes made with other Argon2 parameters still verify
# (they are encoded in the hash) and are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "masthead.readers.hashers.ReaderArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    # 6+ characters with an upper, a lower and a digit; refuses absurd sizes.
    {"NAME": "masthead.readers.validators.PasswordRulesValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # allauth's, refusing addresses not yet verified (readers.signin_addresses).
    "masthead.readers.signin_addresses.ReaderAuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

# django-allauth: our policy lives in one adapter (masthead.readers.adapter), our
# rules in our forms (masthead.readers.forms).
ACCOUNT_ADAPTER = "masthead.readers.adapter.ReaderAccountAdapter"
ACCOUNT_FORMS = {
    "signup": "masthead.readers.forms.RegistrationForm",
    "login": "masthead.readers.forms.ReaderLoginForm",
    "request_login_code": "masthead.readers.forms.ReaderRequestLoginCodeForm",
    "reset_password": "masthead.readers.forms.ReaderResetPasswordForm",
    "add_email": "masthead.readers.email_change.ReaderAddEmailForm",
    "change_password": "masthead.readers.forms.ReaderChangePasswordForm",
    "set_password": "masthead.readers.forms.ReaderSetPasswordForm",
    "reset_password_from_key": "masthead.readers.forms.ReaderResetPasswordKeyForm",
    "reauthenticate": "masthead.readers.forms.ReaderReauthenticateForm",
    "confirm_login_code": "masthead.readers.forms.ReaderConfirmLoginCodeForm",
}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
# Reading never waits for verification (the reader is signed in at once); commenting
# and newsletters check for a verified address themselves.
ACCOUNT_EMAIL_VERIFICATION = "optional"
# One address per reader; a new one replaces it only once verified (readers.email_change).
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True  # tell the old address when the address changes
ACCOUNT_REAUTHENTICATION_REQUIRED = True  # a stolen session cannot change the address
ACCOUNT_EMAIL_CONFIRMATION_HMAC = True  # the key is derived from the address's id
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # mail scanners follow links; a person presses a button
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_PASSWORD_INPUT_RENDER_VALUE = False
# Rate limits, counted in the default cache (Redis in production, so shared by every
# app server). "key" is the email address, except for "login_failed", which our adapter
# keys per (address, source IP) so nobody elsewhere can lock a reader out; over
# "login_failed_address" (every source together) a password is only checked with a
# solved bot check (readers.ratelimit). allauth applies its own actions; signup per
# address is ours (readers.forms).
ACCOUNT_RATE_LIMITS = {
    "signup": "20/m/ip,100/h/ip",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key,10/h/key",
    "reset_password_from_key": "20/m/ip",
    "request_login_code": "20/m/ip,3/m/key,10/h/key",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
    "signup_address": "5/m/key,20/h/key",
    "login_failed_address": "20/h/key",
    "page_password": "10/m/ip,5/5m/key",
}
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# Two-factor sign-in (allauth.mfa; required of staff by masthead.readers.mfa). Passkeys
# are a second factor, not a way in on their own: one door, one set of locks.
MFA_ADAPTER = "masthead.readers.mfa.MastheadMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION  # http://127.0.0.1 in development
USERSESSIONS_TRACK_ACTIVITY = True
# ...refreshed at most this often per session (masthead.readers.session_activity), so a
# signed-in page view is not a database write.
USER_SESSION_TOUCH_SECONDS = 300
# The email is unique case-insensitively through a functional unique constraint on
# Lower("email") (readers.User.Meta), which is stronger than the case-sensitive
# `unique=True` this check asks for.
SILENCED_SYSTEM_CHECKS = ["auth.E003", "auth.W004"]

# The bot check (masthead.readers.botcheck). ALTCHA's difficulty: the browser tries on
# average half this many SHA-256 hashes (well under a second on a phone).
ALTCHA_MAX_NUMBER = 50_000
ALTCHA_EXPIRES_SECONDS = 60 * 60
# Registration attempts (masthead.readers.signup_limits; the SIGNUP_* variables at the
# top): from SIGNUP_BURST_THRESHOLD attempts in the window each doubling halves the
# per-IP allowance and multiplies ALTCHA's work by ALTCHA_BURST_FACTOR; staff are
# alerted (log + email to ADMINS) at most once per SIGNUP_ALERT_SECONDS.
SIGNUP_BURST_MAX_LEVEL = 4
SIGNUP_ALERT_SECONDS = 60 * 60
ALTCHA_BURST_FACTOR = 4
ALTCHA_MAX_NUMBER_CEILING = 5_000_000

# --------------------------------------------------------------------------------------
# Internationalisation
# --------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", _("English"))]
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "masthead" / "locale"]

# --------------------------------------------------------------------------------------
# Static and media files
# --------------------------------------------------------------------------------------
STATIC_URL = "/static/"
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_ADD_HEADERS_FUNCTION = static_file_headers  # Cross-Origin-Resource-Policy
if not PRODUCTION:
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
STATICFILES_DIRS = [BASE_DIR / "masthead" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --------------------------------------------------------------------------------------
# Wagtail
# --------------------------------------------------------------------------------------


def _newsroom_name() -> str:
    # Imported when called: settings load before any app, so they may not import one.
    from masthead.core.newsroom import newsroom_name

    return newsroom_name()


# The admin's name for the site follows the newsroom's Wagtail Site (masthead.core.newsroom).
WAGTAIL_SITE_NAME = lazy(_newsroom_name, str)()
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_FORMAT_CONVERSIONS = {"avif": "avif", "bmp": "webp", "webp": "webp"}
WAGTAILEMBEDS_RESPONSIVE_HTML = True
WAGTAILADMIN_COMMENTS_ENABLED = True
WAGTAIL_ENABLE_UPDATE_CHECK = False
# No Gravatar: editors' email hashes stay here, the admin makes no third-party request,
# and its CSP loads no third party.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILDOCS_SERVE_METHOD = "serve_view"
TAGGIT_CASE_INSENSITIVE = True

# --------------------------------------------------------------------------------------
# Security
# --------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Browsers accept a __Host- cookie only when it is Secure, for Path=/ and with no
    # Domain, so no sibling subdomain can plant or overwrite these. Everything that
    # looks for the session cookie reads SESSION_COOKIE_NAME (the shared-cache bypass
    # in core/middleware.py, bench/, the tests); a CDN rule must use this name too.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --------------------------------------------------------------------------------------
# Logging: one line per event on stderr, which the process manager collects.
# --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "masthead": {"level": LOG_LEVEL, "handlers": ["stderr"], "propagate": False},
        "django.request": {"level": "ERROR", "handlers": ["stderr"], "propagate": False},
    },
}

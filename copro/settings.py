"""Copro settings: one module, driven by the environment, with development defaults.

Production sets at least DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL and
EMAIL_URL; `manage.py check --deploy` then reports nothing.
"""

from __future__ import annotations

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "guardian",
    "simple_history",
    "django_htmx",
    "csp",
    "residents",
    "notifications",
    "life",
    "directory",
    "works",
    "albums",
    "documents",
    "incidents",
    "finance",
    "backoffice",
]

MIDDLEWARE = [
    "copro.lib.timing.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "residents.middleware.LanguageMiddleware",
    "residents.middleware.RateLimitedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "backoffice.middleware.StaffMFAMiddleware",
]

if not DEBUG:  # in development, runserver's staticfiles app serves static files
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "copro.urls"
WSGI_APPLICATION = "copro.wsgi.application"
ASGI_APPLICATION = "copro.asgi.application"

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
                "csp.context_processors.nonce",
                "residents.context_processors.navigation",
                "notifications.realtime.context",
            ],
        },
    },
    {
        # Plain text (email bodies and subjects, notifications, SMS): no HTML escaping,
        # or "l'eau" would become "l&#x27;eau". Rendered with using="text".
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"autoescape": False},
    },
]

# --- Database ---
# Without DATABASE_URL we use the project-local cluster that `make run` / `make test`
# start under var/ (scripts/localpg.sh): a unix socket in var/pg, never a TCP port.
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": env("PGDATABASE", default="copro"),
            "USER": env("PGUSER", default="postgres"),
            "HOST": str(BASE_DIR / "var" / "pg"),
        }
    }
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
# PostgreSQL's JIT compiles any query its planner finds costly (the access policy's
# OR of EXISTS, ranking): hundreds of ms of compilation for queries of tens of ms.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery ---
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_PREFIX", default="copro"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Real-time notifications (notifications/realtime.py): server-sent events fed by Redis
# pub/sub, on when REDIS_URL is set. Channels ignore Redis database numbers, hence a
# prefix; the browser reconnects when a stream ends.
COPRO_REALTIME_CHANNEL_PREFIX = env("CACHE_PREFIX", default="copro")
COPRO_REALTIME_STREAM_SECONDS = 600
COPRO_REALTIME_PING_SECONDS = 20

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# No broker configured: run tasks in-process so that a fresh clone works as it is.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BEAT_SCHEDULE = {
    "publish-due-announcements": {"task": "life.tasks.publish_due", "schedule": 300.0},
    "expire-delegations": {
        "task": "incidents.tasks.expire_delegations",
        "schedule": crontab(hour=3, minute=0),
    },
    "purge-expired-zips": {"task": "documents.tasks.purge_zips", "schedule": 3600.0},
    "payment-reminders": {
        "task": "finance.reminders.send_daily",
        "schedule": crontab(hour=8, minute=0),
    },
    "daily-digests": {
        "task": "notifications.tasks.daily_digests",
        "schedule": crontab(hour=7, minute=0),
    },
}

# --- Auth, allauth, MFA ---
AUTH_USER_MODEL = "residents.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "residents.adapter.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "residents.adapter.SocialAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "phone", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = None  # the login form offers "remember me"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Copro] "
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE = True
# allauth's defaults already throttle failed logins per IP and per account; stated here
# so the policy is visible and tests can rely on it.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_phone": "1/m/user",
    "verify_phone": "1/30s/key,3/m/ip",  # the IP limit stops SMS flooding
}

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_TOTP_ISSUER = "Copro"
# Staff must have MFA to use the back office; `make run` turns it off for the demo.
COPRO_STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=not DEBUG)

GOOGLE_CLIENT_ID = env("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET = env("GOOGLE_CLIENT_SECRET", default="")
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "SCOPE": ["profile", "email"],
        "AUTH_PARAMS": {"access_type": "online"},
        "OAUTH_PKCE_ENABLED": True,
        "EMAIL_AUTHENTICATION": True,
        "APPS": (
            [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET, "key": ""}]
            if GOOGLE_CLIENT_ID
            else []
        ),
    }
}
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_LOGIN_ON_GET = False

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

# --- Email and SMS ---
# EMAIL_URL (smtp+tls://user:pass@host:587, consolemail://…) sets EMAIL_BACKEND,
# EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD and EMAIL_USE_TLS/SSL.
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env(
    "DEFAULT_FROM_EMAIL", default="Copro <no-reply@copro.localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", default="")
SMS_BACKEND = env(
    "SMS_BACKEND",
    default=(
        "copro.lib.sms.TwilioBackend"
        if TWILIO_ACCOUNT_SID
        else "copro.lib.sms.ConsoleBackend"
    ),
)

STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")

# --- Signing (documents) ---
# The platform's PEM certificate and key for PAdES signatures. Unset: a self-signed
# development pair is generated on first use in COPRO_SIGNING_DEV_DIR (never committed).
COPRO_SIGNING_CERT = env("SIGNING_CERT", default="")
COPRO_SIGNING_KEY = env("SIGNING_KEY", default="")
COPRO_SIGNING_KEY_PASSPHRASE = env("SIGNING_KEY_PASSPHRASE", default="")
COPRO_SIGNING_DEV_DIR = env(
    "SIGNING_DEV_DIR", default=str(BASE_DIR / "var" / "signing")
)

# --- Internationalisation ---
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static and media ---
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security ---
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Strict CSP: no inline script or style; data: images only for allauth's TOTP QR.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        # Stripe Checkout: the pay form redirects there (form-action covers redirects).
        "form-action": [
            SELF,
            "https://accounts.google.com",
            "https://checkout.stripe.com",
        ],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Observability ---
# Server-Timing header with SQL count/time and view time: on in development, a switch
# in production (it reveals timings, not data).
SERVER_TIMING = env.bool("SERVER_TIMING", default=DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs seven INFO lines per PDF: a call's ZIP would flood the log.
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# --- Product settings ---
COPRO_INVITATION_MAX_AGE = env.int("INVITATION_MAX_AGE", default=14 * 24 * 3600)
COPRO_LOT_IMPORT_MAX_BYTES = 1_000_000
COPRO_BANK_STATEMENT_MAX_BYTES = env.int(
    "BANK_STATEMENT_MAX_BYTES", default=5 * 1024 * 1024
)
COPRO_TICKET_OVERDUE_HOURS = env.int("TICKET_OVERDUE_HOURS", default=48)
# Target time to resolve, by priority (P1…P4), and without a priority.
COPRO_TICKET_TARGET_HOURS = {1: 24, 2: 72, 3: 240, 4: 720}
COPRO_TICKET_TARGET_DEFAULT_HOURS = 240
COPRO_DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=50 * 1024 * 1024)
# The residences' bank details printed on call notices (empty: "ask your syndic").
COPRO_RESIDENCE_IBAN = env("RESIDENCE_IBAN", default="")
COPRO_RESIDENCE_BIC = env("RESIDENCE_BIC", default="")
COPRO_API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=60)  # per token, a minute
COPRO_PERSONAL_SPACE_QUOTA = env.int("PERSONAL_SPACE_QUOTA", default=200 * 1024 * 1024)

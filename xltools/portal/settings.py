"""Django settings of the portal, all from the environment ``xltools serve`` sets (or the production service does):

- ``XLTOOLS_PORTAL_DATA``: the data folder (default ``./xltools-data``): the SQLite database, the uploaded files
  (``files/``, generated names, outside any web root), consolidation results and the secret key file;
- ``DATABASE_URL``: ``postgresql://user:password@host:5432/name`` for PostgreSQL (production); default SQLite in the
  data folder;
- ``XLTOOLS_PORTAL_HOSTS``: the host names the portal answers to, comma-separated (default: localhost names);
- ``XLTOOLS_PORTAL_SECRET``: the secret key (default: generated once into the data folder);
- ``XLTOOLS_PORTAL_SECURE=1``: behind HTTPS (secure cookies, HSTS left to the reverse proxy);
- ``XLTOOLS_PORTAL_UPLOAD_MB``: the largest upload (default 20).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

DATA = Path(os.environ.get("XLTOOLS_PORTAL_DATA", "xltools-data")).resolve()
FILES = DATA / "files"
RESULTS = DATA / "results"
UPLOAD_MB = float(os.environ.get("XLTOOLS_PORTAL_UPLOAD_MB", "20"))


def _secret() -> str:
    """The secret key: the environment's, else the data folder's (``xltools serve`` writes it once), else one for
    this process only (sessions then end with it: set XLTOOLS_PORTAL_SECRET for several worker processes)."""
    if os.environ.get("XLTOOLS_PORTAL_SECRET"):
        return os.environ["XLTOOLS_PORTAL_SECRET"]
    path = DATA / "secret_key"
    return path.read_text().strip() if path.exists() else secrets.token_urlsafe(50)


def _database() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA / "portal.sqlite3"),
                "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE",
                            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}}
    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"DATABASE_URL: only postgresql:// is supported, not {parts.scheme}://")
    return {"ENGINE": "django.db.backends.postgresql", "NAME": parts.path.lstrip("/"),
            "USER": unquote(parts.username or ""), "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "", "PORT": str(parts.port or ""), "CONN_MAX_AGE": 60}


SECRET_KEY = _secret()
DEBUG = False
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("XLTOOLS_PORTAL_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
                 if h.strip()]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "xltools.portal",
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
    "django.contrib.auth.middleware.LoginRequiredMiddleware",  # every page needs sign-in but the sign-in page
]
ROOT_URLCONF = "xltools.portal.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
WSGI_APPLICATION = "xltools.portal.wsgi.application"
DATABASES = {"default": _database()}
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = DATA / "static"
WHITENOISE_USE_FINDERS = True  # the admin's CSS straight from the installed Django: no collectstatic step
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = os.environ.get("XLTOOLS_PORTAL_SECURE") == "1"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "loggers": {"django.request": {"handlers": ["console"], "level": "WARNING"}}}

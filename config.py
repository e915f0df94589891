"""Configuration, read from environment variables (see DESIGN.md)."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _default_database_url():
    return f"sqlite:///{BASE_DIR / 'instance' / 'caseworks.db'}"


class Config:
    SECRET_KEY = os.environ.get("CASEWORKS_SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get("CASEWORKS_DATABASE_URL") or _default_database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SMTP_URL = os.environ.get("CASEWORKS_SMTP_URL")
    MAIL_FROM = os.environ.get("CASEWORKS_MAIL_FROM", "caseworks@localhost")

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = ("zh_CN", "en")

    # Sessions expire after 30 minutes without activity.
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=30)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("CASEWORKS_SECURE_COOKIES") == "1"
    REMEMBER_COOKIE_DURATION = timedelta(minutes=30)

    #: failed logins for one username inside LOGIN_THROTTLE_WINDOW that lock it
    LOGIN_THROTTLE_LIMIT = 5
    #: failed logins from one address (any usernames) that lock the address; higher, because a
    #: township office may reach us through one shared address
    LOGIN_THROTTLE_ADDRESS_LIMIT = 20
    LOGIN_THROTTLE_WINDOW = timedelta(minutes=15)

    CASES_PER_PAGE = 25
    WTF_CSRF_TIME_LIMIT = None


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("CASEWORKS_TEST_DATABASE_URL") or "sqlite://"
    WTF_CSRF_ENABLED = False
    #: tests assert on the English source texts; the Chinese catalogue is checked on its own
    #: (tests/core/test_translations.py) and by the browser tests, which run in zh_CN.
    BABEL_DEFAULT_LOCALE = "en"

"""Configuration, read from environment variables (see DESIGN.md)."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _default_database_url():
    return f"sqlite:///{BASE_DIR / 'instance' / 'caseworks.db'}"


#: where `make install` keeps a generated key for an installation that sets none
SECRET_KEY_FILE = BASE_DIR / "instance" / "secret_key"
#: shorter keys are refused: a session signed with a guessable key opens every page
MIN_SECRET_KEY_LENGTH = 32


def _secret_key():
    """CASEWORKS_SECRET_KEY, else the key kept in instance/secret_key, else None (refused at
    start outside tests)."""
    key = os.environ.get("CASEWORKS_SECRET_KEY")
    if key:
        return key
    if SECRET_KEY_FILE.exists():
        return SECRET_KEY_FILE.read_text(encoding="utf-8").strip() or None
    return None


#: where `make install` keeps a generated key of the audit chain's HMAC (never in the database)
AUDIT_KEY_FILE = BASE_DIR / "instance" / "audit_key"


def _audit_key():
    """CASEWORKS_AUDIT_KEY, else the key kept in instance/audit_key, else None (refused at start
    outside tests)."""
    key = os.environ.get("CASEWORKS_AUDIT_KEY")
    if key:
        return key
    if AUDIT_KEY_FILE.exists():
        return AUDIT_KEY_FILE.read_text(encoding="utf-8").strip() or None
    return None


class Config:
    SECRET_KEY = _secret_key()
    #: the key of the audit chain's HMAC: keep it apart from the database (and its backups)
    AUDIT_KEY = _audit_key()
    #: the append-only file the signed checkpoints of the audit chain go to (see README)
    AUDIT_CHECKPOINT_FILE = os.environ.get("CASEWORKS_AUDIT_CHECKPOINT_FILE") or str(
        BASE_DIR / "instance" / "audit_checkpoints.jsonl"
    )
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

    #: failed logins for one username from one address inside LOGIN_THROTTLE_WINDOW after which
    #: each attempt waits a delay (one minute, doubling with each failure, at most the window)
    LOGIN_THROTTLE_LIMIT = 5
    #: the same for one address whatever the usernames; higher, because a township office may
    #: reach us through one shared address
    LOGIN_THROTTLE_ADDRESS_LIMIT = 20
    LOGIN_THROTTLE_WINDOW = timedelta(minutes=15)
    #: failed logins for one account (from anywhere) that tell the administrators it is attacked
    LOGIN_ATTACK_LIMIT = 10
    #: reverse proxies in front of the app whose X-Forwarded-For / -Proto are trusted (0: none);
    #: behind one proxy set 1, or every user would share the proxy's address
    TRUSTED_PROXIES = int(os.environ.get("CASEWORKS_TRUSTED_PROXIES", "0"))

    #: the largest request body: a visit with its four photos of at most 5 MB each, and the
    #: form around them. Larger requests are refused (413) before their body is read.
    MAX_CONTENT_LENGTH = 24 * 1024 * 1024
    #: the largest non-file part of a form (Werkzeug's default): no text field comes near it
    MAX_FORM_MEMORY_SIZE = 500 * 1024

    CASES_PER_PAGE = 25
    #: imports of files with more rows are checked and written by the scheduler process
    IMPORT_BACKGROUND_ROWS = int(os.environ.get("CASEWORKS_IMPORT_BACKGROUND_ROWS", "3000"))
    #: the largest file an import takes (a county's roster of 100,000 pupils is about 6 MB)
    IMPORT_MAX_BYTES = 40 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-used-only-by-the-test-suite"
    AUDIT_KEY = "test-audit-key-used-only-by-the-test-suite"
    #: tests that need checkpoints give each its own file
    AUDIT_CHECKPOINT_FILE = None
    SQLALCHEMY_DATABASE_URI = os.environ.get("CASEWORKS_TEST_DATABASE_URL") or "sqlite://"
    WTF_CSRF_ENABLED = False
    #: tests assert on the English source texts; the Chinese catalogue is checked on its own
    #: (tests/core/test_translations.py) and by the browser tests, which run in zh_CN.
    BABEL_DEFAULT_LOCALE = "en"

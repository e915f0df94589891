"""caseworks: dropout-prevention case management (控辍保学工作管理系统)."""

from pathlib import Path

from flask import Flask, g, render_template, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event

from config import Config

ROOT = Path(__file__).resolve().parent.parent
#: the JSON API (token auth, no session, JSON errors)
API_PREFIX = "/api/"

#: feature packages; each may have a ``blueprint`` module defining ``bp`` and a ``cli`` module
#: listing its ``commands``
FEATURES = (
    "core",
    "accounts",
    "places",
    "cases",
    "enrolment",
    "visits",
    "inbox",
    "ladder",
    "review",
    "reports",
    "api",
    "scheduler",
    "demo",
)


def _feature_module(feature, name):
    """``caseworks.<feature>.<name>``, or None if the feature has no such module."""
    from importlib import import_module

    qualified = f"caseworks.{feature}.{name}"
    try:
        return import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name != qualified:
            raise
        return None


def create_app(config_class=Config):
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config_class)
    _check_secret_key(app)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    from caseworks.core.numbers import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter
    Path(app.instance_path).mkdir(exist_ok=True)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    _register_request_hooks(app)
    _register_template_helpers(app)
    _register_errors(app)
    return app


def _check_secret_key(app):
    """Refuse to start without a secret key of real length: sessions and CSRF tokens are signed
    with it, and a known or short key lets anyone forge a login."""
    from config import MIN_SECRET_KEY_LENGTH

    key = app.config.get("SECRET_KEY")
    if app.testing or (key and len(key) >= MIN_SECRET_KEY_LENGTH):
        return
    raise RuntimeError(
        f"caseworks needs a secret key of at least {MIN_SECRET_KEY_LENGTH} characters: set "
        "CASEWORKS_SECRET_KEY, or run `make secret-key` to keep a generated one in instance/secret_key."
    )


def _select_locale():
    from flask import current_app, has_request_context

    if not has_request_context():  # CLI commands and scheduler jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = session.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _init_extensions(app):
    from caseworks.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)

    # Import every model so that metadata (and Alembic) know the whole schema.
    import caseworks.models  # noqa: F401

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _configure_sqlite(db.engine)


def _configure_sqlite(engine):
    """Foreign keys on, and let SQLAlchemy (not pysqlite) begin transactions so that savepoints
    work as documented. Transactions begin IMMEDIATE: two requests that both read and then write
    (the audit chain's head, say) would otherwise deadlock, and SQLite answers that with
    "database is locked" at once instead of waiting. Write-ahead logging lets pages read while
    another request writes."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _register_blueprints(app):
    for feature in FEATURES:
        module = _feature_module(feature, "blueprint")
        if module is not None:
            app.register_blueprint(module.bp)


def _register_cli(app):
    for feature in FEATURES:
        module = _feature_module(feature, "cli")
        if module is not None:
            for command in module.commands:
                app.cli.add_command(command)


def _register_request_hooks(app):
    from caseworks.core.nav import nav_for
    from caseworks.extensions import db

    @app.before_request
    def keep_session_alive():
        # Sessions expire PERMANENT_SESSION_LIFETIME after the last request (the API has none).
        if not request.path.startswith(API_PREFIX):
            session.permanent = True

    @app.after_request
    def commit_or_roll_back(response):
        """One commit per request: what a successful request changed is kept; a request that
        ends in an error status keeps nothing (its audit entries included) unless the view
        asked to keep what it recorded (a refused login)."""
        if response.status_code < 400 or g.get("commit_on_error"):
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        if current_user and current_user.is_authenticated:
            headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def layout_context():
        return {
            "nav_items": nav_for(current_user),
            "current_locale": str(get_locale()),
            "request_path": request.path,
        }


def _register_template_helpers(app):
    from flask_babel import format_date, format_datetime

    from caseworks.core import choices, clock, idnumber

    @app.template_filter("label")
    def label(value, choice_class):
        """The translated label of a stored choice: ``{{ g|label('SpecialGroup') }}``."""
        classes = {c.__name__: c for c in choices.LabelledChoice.__subclasses__()}
        return classes[choice_class].label_of(value) if value else ""

    app.jinja_env.filters["mask_phone"] = idnumber.mask_phone
    app.jinja_env.filters["local_date"] = lambda dt: clock.to_local(dt).date() if dt else None
    app.jinja_env.filters["format_date"] = lambda d, fmt="medium": format_date(d, fmt) if d else ""
    app.jinja_env.filters["format_datetime"] = lambda d, fmt="medium": format_datetime(d, fmt) if d else ""

    @app.context_processor
    def dates():
        return {"today": clock.today()}


def _register_errors(app):
    def render_error(code):
        def handler(error):
            from caseworks.extensions import db

            db.session.rollback()
            if request.path.startswith(API_PREFIX):
                headers = {"WWW-Authenticate": 'Bearer realm="caseworks"'} if code == 401 else {}
                return {"error": getattr(error, "name", "Error"), "status": code}, code, headers
            return render_template(f"errors/{code}.html", error=error), code

        return handler

    for code in (400, 401, 403, 404, 405, 409, 413, 429, 500):
        app.register_error_handler(code, render_error(code))

    from sqlalchemy.orm.exc import StaleDataError

    # Two people saved the same record at once: the second write finds the version moved on.
    app.register_error_handler(StaleDataError, lambda error: render_error(409)(error))

"""caseworks: dropout-prevention case management (控辍保学工作管理系统)."""

from pathlib import Path

from flask import Flask, g, render_template, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

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
    "ledgers",
    "api",
    "offline",
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
    _check_audit_key(app)
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


def _check_audit_key(app):
    """Refuse to start without an audit key: the trail's entries are chained with an HMAC under
    it, and a trail written without one could be rewritten by anyone with database access."""
    from caseworks.core.audit import MIN_AUDIT_KEY_LENGTH

    key = app.config.get("AUDIT_KEY")
    if key and len(key) >= MIN_AUDIT_KEY_LENGTH:
        return
    raise RuntimeError(
        f"caseworks needs an audit key of at least {MIN_AUDIT_KEY_LENGTH} characters: set "
        "CASEWORKS_AUDIT_KEY, or run `make audit-key` to keep a generated one in instance/audit_key."
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
    from caseworks.core import audit
    from caseworks.core.nav import nav_for
    from caseworks.extensions import db

    @app.before_request
    def refuse_unstorable_input():
        from caseworks.core.forms import refuse_unstorable_input

        refuse_unstorable_input(request)

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
        if g.get("database_down"):
            return response
        if response.status_code < 400 or g.get("commit_on_error"):
            db.session.commit()
        else:
            db.session.rollback()
            # what the page showed was seen, even if the request is refused: its reads stay
            try:
                audit.keep_reads(db.session)
            except SQLAlchemyError:
                app.logger.exception("sensitive reads of a failed request could not be recorded")
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
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # only a user already loaded: with the database down, loading one would fail here
        user = g.get("_login_user")
        if g.get("database_down") or (user is not None and user.is_authenticated):
            # no HTTP cache or proxy keeps a page with children's data; the one copy on a phone
            # is the service worker's, of the user's own pages, on purpose and wiped at logout
            headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def layout_context():
        if g.get("database_down"):
            return {"nav_items": [], "current_locale": str(get_locale()), "request_path": request.path}
        return {
            "nav_items": nav_for(current_user),
            "current_locale": str(get_locale()),
            "request_path": request.path,
        }


def _register_template_helpers(app):
    from flask_babel import format_date

    from caseworks.core import choices, clock, idnumber
    from caseworks.core.dates import format_when

    @app.template_filter("label")
    def label(value, choice_class):
        """The translated label of a stored choice: ``{{ g|label('SpecialGroup') }}``."""
        classes = {c.__name__: c for c in choices.LabelledChoice.__subclasses__()}
        return classes[choice_class].label_of(value) if value else ""

    app.jinja_env.filters["mask_phone"] = idnumber.mask_phone
    app.jinja_env.filters["local_date"] = lambda dt: clock.to_local(dt).date() if dt else None
    app.jinja_env.filters["format_date"] = lambda d, fmt="medium": format_date(d, fmt) if d else ""
    app.jinja_env.filters["format_datetime"] = lambda d, fmt=None: format_when(d) if d else ""

    @app.context_processor
    def dates():
        return {"today": clock.today()}


def _register_errors(app):
    def render_error(code):
        def handler(error):
            from caseworks.extensions import db

            db.session.rollback()
            headers = {"WWW-Authenticate": 'Bearer realm="caseworks"'} if code == 401 else {}
            if code == 405 and getattr(error, "valid_methods", None):
                headers["Allow"] = ", ".join(sorted(error.valid_methods))
            if request.path.startswith(API_PREFIX):
                return {"error": getattr(error, "name", "Error"), "status": code}, code, headers
            return render_template(f"errors/{code}.html", error=error), code, headers

        return handler

    for code in (400, 401, 403, 404, 405, 409, 413, 429):
        app.register_error_handler(code, render_error(code))

    from sqlalchemy.orm.exc import StaleDataError

    # Two people saved the same record at once: the second write finds the version moved on.
    app.register_error_handler(StaleDataError, lambda error: render_error(409)(error))

    from sqlalchemy.exc import DBAPIError

    @app.errorhandler(DBAPIError)
    def database_unavailable(error):
        """A lost or refused database connection (a restart, a network cut): the app's own 503
        page, drawn without the database, with every header; the pool reconnects by itself
        (pool_pre_ping) once the database is back. Other database errors are bugs: 500."""
        from sqlalchemy.exc import InterfaceError, OperationalError

        if not (error.connection_invalidated or isinstance(error, (OperationalError, InterfaceError))):
            raise error
        app.logger.error("database unavailable: %s", error)
        return database_down_page()

    def database_down_page():
        from caseworks.extensions import db

        g.database_down = True
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection is gone; the pool will replace it
            app.logger.debug("rollback failed with the database down", exc_info=True)
        headers = {"Retry-After": "30"}
        if request.path.startswith(API_PREFIX):
            return {"error": "Service Unavailable", "status": 503}, 503, headers
        # not render_template: its context processors (the logged-in user, the menu) need the database
        page = app.jinja_env.get_template("errors/503.html").render(
            request=request, locale=str(get_locale()), submitted=request.method not in ("GET", "HEAD")
        )
        return page, 503, headers

    @app.errorhandler(500)
    def server_error(error):
        """A server error; if even its page cannot be drawn (the database went away while the
        layout asked for the user), the page that needs no database."""
        from sqlalchemy.exc import InterfaceError, OperationalError

        original = getattr(error, "original_exception", None)
        if isinstance(original, (OperationalError, InterfaceError)) or getattr(
            original, "connection_invalidated", False
        ):
            return database_down_page()  # the commit at the end of the request lost the database
        try:
            return render_error(500)(error)
        except Exception:  # noqa: BLE001 - anything, so that the user never sees a bare error
            app.logger.exception("the error page failed")
            return database_down_page()

"""Gridwalk application factory."""
import time
from pathlib import Path

from flask import Flask, g, has_request_context, request, session
from flask_babel import refresh as babel_refresh
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import clock
from .config import load_config
from .extensions import babel, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


class BoundedInt(IntegerConverter):
    """``<int:…>`` that matches only what a 64-bit database integer holds."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: write-ahead log for concurrent readers, and enforced foreign keys."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged record must survive a power cut
        # Lets LIKE 'prefix%' use an index; case-insensitive matches use lower() explicitly.
        cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


# A pooled connection idle longer than this is pinged before it is used again: a database
# restart or a link dropped overnight is found then, and the request gets a new connection.
# One in constant use is not pinged: SQLAlchemy's pool_pre_ping, a round trip on every checkout,
# cost 12 % of a worker's session on the server at the morning peak (bench/session_cpu.py).
POOL_PING_AFTER_IDLE_S = 10.0


@event.listens_for(Pool, "checkin")
def _note_idle_since(dbapi_connection, connection_record):
    connection_record.info["idle_since"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_after_idle(dbapi_connection, connection_record, connection_proxy):
    idle_since = connection_record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < POOL_PING_AFTER_IDLE_S:
        return  # new, or back in the pool a moment ago
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_connection.rollback()
    except Exception as exc:  # noqa: BLE001 - any failure means this connection is unusable
        # The pool drops this connection and checks out a new one.
        raise DisconnectionError(f"idle connection failed its ping: {type(exc).__name__}") from exc


def select_locale():
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    for candidate in (session.get("lang"), request.cookies.get("lang")):
        if candidate in languages:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
    )
    app.config.update(load_config(app.instance_path))
    if overrides:
        app.config.update(overrides)

    # "//" in a path is answered as not found rather than redirected: a redirect is an HTML
    # answer on the JSON API (found by fuzzing media ids that start with "/").
    app.url_map.merge_slashes = False
    # Numbers in paths fit the database's 64-bit integers, or the route does not match (404).
    app.url_map.converters["int"] = BoundedInt

    _bind_extensions(app)
    _register_features(app)
    return app


def _bind_extensions(app):
    """The proxy fix, the database, CSRF, Babel, sign-in and the session cookie."""
    if app.config["TRUST_PROXY_HOPS"]:
        hops = app.config["TRUST_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=clock.zone_name,
                   default_translation_directories=str(ROOT / "app" / "translations"))
    login_manager.init_app(app)
    # No "session protection": it rewrites the cookie whenever a request's address or browser
    # string differs from the sign-in's, which on a phone is every change of mobile network and
    # every service-worker fetch (Chromium gives those no page User-Agent). A rewrite racing a
    # sign-in on a shared phone put the previous user's ended session back. Sessions are held by
    # the signed cookie, its idle limit and session_version (sign-out ends them everywhere).
    login_manager.session_protection = None
    from .auth.sessions import GuardedSessionInterface

    app.session_interface = GuardedSessionInterface()


def _register_features(app):
    """Every feature's pages, rules, sync handlers and hooks, then security and error pages."""
    from . import (
        admin,
        api,
        assist,
        auth,
        demo,
        duties,
        enterprise,
        events,
        grids,
        home,
        hotline,
        indicators,
        media,
        models,  # noqa: F401  (every model, for Alembic and the scope service)
        open311,
        patrols,
        pwa,
        registry,
        roster,
        scope,
        sync,
        tasks,
        volunteers,
    )
    from .security import install_security
    from .static_delivery import install_static_delivery

    # First of the request hooks: the features' own (the session lifetime) run after it.
    @app.before_request
    def _fresh_request_caches():
        # An app context may outlive one request (tests, CLI): start each request clean.
        for key in ("_scopes", "_login_user", "session_expired", "csrf_token", "_grid_version",
                    "_grids_held", "_catalogue", "_media_owners", "_patrols_held"):
            g.pop(key, None)
        babel_refresh()

    # Each feature registers its own pages, rules and sync handlers; the admin blueprint comes
    # after the features whose admin pages it carries.
    for feature in (scope, auth, home, grids, api, events, media, pwa, sync, registry, patrols, duties, tasks,
                    roster, assist, volunteers, enterprise, open311, hotline, indicators, demo, admin):
        feature.register(app)
    install_security(app)
    install_static_delivery(app)
    from .errors import install_error_handlers

    install_error_handlers(app)

    from .ui import install_template_helpers

    install_template_helpers(app)

"""Test fixtures: the whole suite runs against SQLite and, when it answers, PostgreSQL.

Each backend gets its own fresh database, built by the Alembic migrations (not create_all),
so every test also exercises the migrations.
"""
import os
import re
import socket
import uuid

import pytest

os.environ.setdefault("SECRET_KEY", "test-secret-key")
os.environ.setdefault("DATA_KEY", "test-data-key")

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from tests.browser import browser, live_server, phone, playwright_instance  # noqa: E402,F401

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def postgres_available():
    if os.environ.get("TEST_DATABASE_URL"):
        return True, ""
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True, ""
    except OSError as exc:
        return False, f"no PostgreSQL on 127.0.0.1:5432 ({exc}) and TEST_DATABASE_URL unset"


def _pg_connect(url):
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def create_pg_database():
    """A fresh database on the PostgreSQL server named by TEST_DATABASE_URL (or local)."""
    name = f"gridwalk_test_{uuid.uuid4().hex[:10]}"
    with _pg_connect(PG_ADMIN_URL) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = re.sub(r"/[^/]*$", f"/{name}", PG_ADMIN_URL)
    return name, url


def drop_pg_database(name):
    with _pg_connect(PG_ADMIN_URL) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_app(url):
    from flask_migrate import upgrade

    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
    })
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend_app(request, tmp_path_factory):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        yield make_app(f"sqlite:///{path}")
        return
    ok, why = postgres_available()
    if not ok:
        pytest.skip(why)
    from app.config import normalise_database_url

    name, url = create_pg_database()
    app = make_app(normalise_database_url(url))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_pg_database(name)


def wipe(app):
    with app.app_context():
        db.session.remove()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()


@pytest.fixture
def app(backend_app):
    """The backend's app with an empty database at the start of each test."""
    wipe(backend_app)
    backend_app.config["WTF_CSRF_ENABLED"] = True
    ctx = backend_app.app_context()
    ctx.push()
    yield backend_app
    db.session.remove()
    ctx.pop()


@pytest.fixture
def demo(app):
    from app.demo.data import load_demo

    load_demo()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client, username, password="gridwalk-demo"):
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


@pytest.fixture
def login(app):
    """Sign in on a fresh client (its own cookie jar) and return that client."""
    def _login(username, password="gridwalk-demo"):
        client = app.test_client()
        response = sign_in(client, username, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client
    return _login

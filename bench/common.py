"""What the benchmarks share: a fresh database per backend, the app on it, a results table."""
import os
import tempfile
from contextlib import contextmanager

os.environ.setdefault("SECRET_KEY", "bench")
os.environ.setdefault("DATA_KEY", "bench")


@contextmanager
def fresh_app(backend):
    """(app, sqlite path or None) on a new, empty database; PostgreSQL's is dropped after.
    Yields None when the backend is not available here."""
    from app import create_app
    from app.extensions import db
    from tests.conftest import create_pg_database, drop_pg_database, postgres_available

    pg_name, path = None, None
    if backend == "sqlite":
        path = f"{tempfile.mkdtemp()}/bench.db"
        url = f"sqlite:///{path}"
    else:
        ok, why = postgres_available()
        if not ok:
            print(f"{backend}: skipped ({why})")
            yield None
            return
        pg_name, url = create_pg_database()
        url = url.replace("postgresql://", "postgresql+psycopg://")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    try:
        yield app, path
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if pg_name:
            drop_pg_database(pg_name)


def print_table(label, results):
    print(f"| {label} | p50 ms | p95 ms |\n|---|---|---|")
    for name, (p50, p95) in results.items():
        print(f"| {name} | {p50:.1f} | {p95:.1f} |")

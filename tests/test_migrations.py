"""The Alembic migrations build exactly the schema the models describe."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"


def test_migrations_are_at_head(app):
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    assert set(current) == set(heads) and len(heads) == 1


def test_0012_remasks_what_was_stored_more_openly(tmp_path):
    """Masks, history and submissions written before 0012 showed the last four digits and kept
    the birth date in clear; the upgrade leaves only what the new mask shows, with no key."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from app.demo.data import load_demo
    from app.registry.models import RecordRevision, RegistryRecord, Submission
    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'old.db'}")
    with app.app_context():
        load_demo()
        db.session.commit()
        downgrade(revision="0011")
        old_mask = "3701**********0020"
        db.session.execute(sa.text(
            "UPDATE registry_record SET id_masked = :m, id_tail = '0020', "
            "data = json_set(data, '$.birth_date', '1944-03-05') "
            "WHERE kind = 'person'"), {"m": old_mask})
        db.session.execute(sa.text(
            "UPDATE registry_revision SET changes = json_set(changes, '$.id_number', "
            "json_array(NULL, :m)) WHERE json_extract(changes, '$.id_number') IS NOT NULL"),
            {"m": old_mask})
        db.session.execute(sa.text(
            "UPDATE registry_submission SET changes = json_set(changes, '$.id_number', "
            "json_array(NULL, :m)) WHERE json_extract(changes, '$.id_number') IS NOT NULL"),
            {"m": old_mask})
        db.session.commit()
        upgrade()
        people = RegistryRecord.query.filter_by(kind="person").all()
        assert people and all(p.id_masked == "3701*************0" for p in people)
        assert all("birth_date" not in p.data and p.data["birth_year"] == 1944 for p in people)
        history = [r.changes["id_number"] for r in RecordRevision.query if "id_number" in r.changes]
        queued = [s.changes["id_number"] for s in Submission.query if "id_number" in s.changes]
        assert history and queued and all(c == [None, "3701*************0"] for c in history + queued)
        db.session.remove()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_every_migration_goes_down_and_up_again_with_data_in_place(backend, tmp_path):
    """A release can be rolled back: each migration's downgrade runs, one step at a time, over
    the demo district's data, down to an empty schema; then every upgrade runs again and the
    schema is the models' once more."""
    import sqlalchemy as sa
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    from app.config import normalise_database_url
    from app.demo.data import load_demo
    from tests.conftest import create_pg_database, drop_pg_database, make_app, postgres_available

    name = None
    if backend == "postgres":
        ok, why = postgres_available()
        if not ok:
            pytest.skip(why)
        name, url = create_pg_database()
        url = normalise_database_url(url)
    else:
        url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    app = make_app(url)
    try:
        with app.app_context():
            load_demo()
            db.session.commit()
            script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
            steps = [rev.revision for rev in script.walk_revisions()]  # head first
            for revision in steps:
                down_to = script.get_revision(revision).down_revision or "base"
                downgrade(revision=down_to)
                with db.engine.connect() as connection:
                    current = MigrationContext.configure(connection).get_current_heads()
                assert set(current) == (set() if down_to == "base" else {down_to}), revision
            db.session.remove()
            left = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
            assert left == set(), f"tables the downgrades left behind: {left}"
            upgrade()
            with db.engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                assert compare_metadata(context, db.metadata) == []
            db.session.remove()
            db.engine.dispose()
    finally:
        if name:
            drop_pg_database(name)

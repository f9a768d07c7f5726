"""The Alembic migrations build exactly the schema the models describe."""
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

"""How many of the demo's open reports the duplicate check would catch (same major category,
within 50 m of an earlier open event), as the district command centre sees them.

    PYTHONPATH=. .venv/bin/python bench/duplicates.py
"""
import tempfile
from pathlib import Path

from app import create_app
from app.auth.models import User
from app.demo.data import load_demo
from app.events.models import Event
from app.events.services import duplicate_pairs
from app.extensions import db


def main():
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.db'}", "TESTING": True})
        with app.app_context(), app.test_request_context():
            db.create_all()
            load_demo()
            command = User.query.filter_by(username="command").one()
            open_reports = Event.query.filter(Event.state == "reported").count()
            pairs = duplicate_pairs(command)
            print(f"open reports (state reported): {open_reports}; proposed as duplicates: {len(pairs)} "
                  f"({100 * len(pairs) / open_reports:.1f} %)" if open_reports else "no open reports")


if __name__ == "__main__":
    main()

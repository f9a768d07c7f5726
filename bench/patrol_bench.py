"""Patrol storage at district scale: size on disk and query times (SQLite and PostgreSQL).

    .venv/bin/python -m bench.patrol_bench [--days 7]

Loads the seed's district (1,293 grids, ~7,000 people), then gives every full-time worker two
closed two-hour patrols a day for ``--days`` days: ~600 fixes each after thinning (one every
~12 s), stored as one compact row per patrol. Reports bytes per patrol, the tables' size, the
size extrapolated to a year (1,300 workers × 2 × 365), and the supervisors' queries.
"""
import argparse
import math
import random
import statistics
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from app.extensions import db
from bench.common import fresh_app, print_table  # noqa: I001  (sets the keys before the app loads)

FIXES = 600


def trace(rng, grid, t0):
    """A walk from the grid's middle, ~14 m every ~12 s, bending slowly, staying near the grid."""
    lon, lat = (grid.min_lon + grid.max_lon) / 2, (grid.min_lat + grid.max_lat) / 2
    heading, fixes = rng.uniform(0, 2 * math.pi), []
    for i in range(FIXES):
        heading += rng.uniform(-0.6, 0.6)
        lon += 14 * math.cos(heading) / 89_000
        lat += 14 * math.sin(heading) / 111_000
        if not (grid.min_lon < lon < grid.max_lon and grid.min_lat < lat < grid.max_lat):
            heading += math.pi
        fixes.append((t0 + i * 12 + rng.randint(0, 3), lon, lat, rng.randint(4, 30)))
    return fixes


def load(app, days):
    from flask_migrate import upgrade

    from app.auth.models import RoleAssignment
    from app.demo.data import load_district_scale
    from app.org.models import Grid
    from app.patrols import codec
    from app.patrols.models import Patrol

    with app.app_context():
        upgrade()
        load_district_scale()
        workers = db.session.execute(db.select(RoleAssignment.user_id, RoleAssignment.grid_id)
                                     .where(RoleAssignment.role == "grid_worker")).all()
        grids = {g.id: g for g in Grid.query}
        rng = random.Random(5)
        templates = {}
        started = time.perf_counter()
        day0 = datetime(2026, 11, 1)
        rows = []
        for d in range(days):
            for user_id, grid_id in workers:
                for slot in (1, 6):  # 09:00 and 14:00 in Jinan
                    start = day0 + timedelta(days=d, hours=slot)
                    key = (grid_id, slot)
                    if key not in templates:  # one walk shape per grid and slot, re-timed each day
                        templates[key] = trace(rng, grids[grid_id], 0)
                    t0 = int(start.timestamp())
                    fixes = [(t0 + t, lon, lat, acc) for t, lon, lat, acc in templates[key]]
                    rows.append({"id": str(uuid.uuid4()), "worker_id": user_id, "grid_id": grid_id,
                                 "started_at": start, "ended_at": start + timedelta(hours=2),
                                 "status": "closed", "trace": codec.encode(fixes),
                                 "point_count": FIXES, "distance_m": 8400.0, "duration_s": 7200,
                                 "gap_count": 0, "gap_s": 0, "coverage_pct": 40.0, "flags": [],
                                 "updated_at": start})
                    if len(rows) == 2000:
                        db.session.execute(db.insert(Patrol), rows)
                        rows = []
        if rows:
            db.session.execute(db.insert(Patrol), rows)
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        return time.perf_counter() - started, len(workers)


def sizes(app, path):
    with app.app_context():
        count = db.session.execute(db.text("SELECT count(*) FROM patrol")).scalar()
        trace_bytes = db.session.execute(db.text(
            "SELECT sum(length(trace)) FROM patrol")).scalar()
        if db.engine.dialect.name == "postgresql":
            table = db.session.execute(db.text("SELECT pg_total_relation_size('patrol')")).scalar()
        else:
            db.session.execute(db.text("PRAGMA wal_checkpoint(TRUNCATE)"))
            table = db.session.execute(db.text(
                "SELECT sum(pgsize) FROM dbstat WHERE name LIKE '%patrol%'")).scalar() if _has_dbstat() \
                else Path(path).stat().st_size
        return count, trace_bytes, table


def _has_dbstat():
    try:
        db.session.execute(db.text("SELECT 1 FROM dbstat LIMIT 1"))
        return True
    except Exception:  # noqa: BLE001 - older SQLite builds have no dbstat
        db.session.rollback()
        return False


def time_queries(app, runs):
    from app.auth.models import User
    from app.patrols.models import Patrol
    from app.patrols.services import day_rows, fixes_of
    from app.scope.services import Scope

    results = {}
    with app.app_context():
        secretary = User.query.filter(User.username.like("%-sec")).first()
        street = User.query.filter(User.username.like("lx-s01-1")).first()
        command = User.query.filter_by(username="command01").first()
        worker = User.query.filter_by(username="gw0001").first()
        day = datetime(2026, 11, 3).date()

        def timed(label, fn):
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                fn()
                times.append((time.perf_counter() - started) * 1000)
                db.session.expire_all()
            times.sort()
            results[label] = (statistics.median(times), times[int(0.95 * (len(times) - 1))])

        import flask

        def as_user(user, fn):
            with flask.current_app.test_request_context():
                flask.g._scopes = {user.id: Scope(user)}
                from flask_login import login_user

                login_user(user)
                return fn()

        timed("community day view (secretary)", lambda: as_user(secretary, lambda: day_rows(secretary, day)))
        timed("street day view", lambda: as_user(street, lambda: day_rows(street, day)))
        timed("district day view (command)", lambda: as_user(command, lambda: day_rows(command, day)))
        month = datetime(2026, 11, 1)
        timed("one worker's month of patrols", lambda: Patrol.query.filter(
            Patrol.worker_id == worker.id, Patrol.started_at >= month,
            Patrol.started_at < month + timedelta(days=30)).all())
        one = Patrol.query.filter_by(worker_id=worker.id).first()
        timed("decode one trace (600 fixes)", lambda: fixes_of(db.session.get(Patrol, one.id)))
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        with fresh_app(backend) as ready:
            if ready is None:
                continue
            app, path = ready
            load_s, workers = load(app, args.days)
            count, trace_bytes, table = sizes(app, path)
            results = time_queries(app, args.runs)
            year = workers * 2 * 365
            print(f"\n{backend}: {count:,} patrols ({workers} workers × 2 × {args.days} days) "
                  f"loaded in {load_s:.0f} s")
            print(f"  trace bytes per patrol: {trace_bytes / count:,.0f} ({FIXES} fixes, "
                  f"{trace_bytes / count / FIXES:.1f} B a fix)")
            print(f"  patrol table with indexes: {table / 1e6:,.1f} MB → a year "
                  f"({year:,} patrols): {table / count * year / 1e9:,.1f} GB")
            print_table("query", results)


if __name__ == "__main__":
    main()

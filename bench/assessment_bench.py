"""A whole district's month of assessment (考核) at the seed's scale (SQLite and PostgreSQL).

    .venv/bin/python -m bench.assessment_bench [--runs 3]

Loads the seed's district (13 streets, 100 communities, 1,293 grids, ~1,500 full-time workers)
and gives every full-time worker a month of activity in October 2026: 22 two-hour patrols,
25 check-ins, 13 registry records and 8 updates, 6 visits, 6 events raised (5 closed, 4 on
time), 2 on-site checks, 3 survey answers and 1 publicity record. Then times computing the
month for the whole district (every worker's 42 items, patrols, collection, timeliness, score)
and rolling it up to streets, as the command centre's page does.
"""
import argparse
import random
import statistics
import time
import uuid
from datetime import date, datetime, timedelta

from app.extensions import db
from bench.common import fresh_app  # noqa: I001  (sets the keys before the app loads)

MONTH = date(2026, 10, 1)


def _flush(model, rows):
    if rows:
        db.session.execute(db.insert(model), rows)
        rows.clear()


def load(app):
    from flask_migrate import upgrade

    from app.auth.models import RoleAssignment, User
    from app.demo.data import load_district_scale
    from app.events.models import Event, EventAction, EventCategory
    from app.patrols.models import CheckIn, Patrol
    from app.registry.models import RecordRevision, RegistryRecord, Visit
    from app.tasks.models import Task, TaskReport, TaskTarget

    with app.app_context():
        upgrade()
        load_district_scale()
        from app.duties.catalogue import load_default_checklist

        load_default_checklist()
        db.session.commit()
        started = time.perf_counter()
        rng = random.Random(10)
        workers = db.session.execute(db.select(RoleAssignment.user_id, RoleAssignment.grid_id)
                                     .where(RoleAssignment.role.in_(("grid_worker", "grid_leader")))).all()
        category = EventCategory.query.filter_by(code="SR01").one().id
        assigner = User.query.filter_by(username="command01").one().id
        question = {"id": "q1", "type": "single", "label": "满意吗", "options": ["满意", "不满意"],
                    "required": True}
        survey = Task(kind="survey", title="满意度调查", duty_code="12.1", status="open",
                      assigner_id=assigner, target=3, questions=[question])
        publicity = Task(kind="publicity", title="反诈宣传", duty_code="11.2", status="open",
                         assigner_id=assigner, target=10)
        db.session.add_all([survey, publicity])
        db.session.flush()
        targets = {}
        for task in (survey, publicity):
            for gid in {g for _, g in workers}:
                t = TaskTarget(task_id=task.id, grid_id=gid)
                db.session.add(t)
                targets[(task.id, gid)] = t
        db.session.flush()
        # In foreign-key order: each flush writes parents before children.
        buffers = {m: [] for m in (RegistryRecord, RecordRevision, Patrol, CheckIn, Visit, Event, EventAction,
                                   TaskReport)}

        def at(day, hour):
            return datetime.combine(MONTH + timedelta(days=day), datetime.min.time()) + timedelta(hours=hour)

        weekdays = [d for d in range(31) if (MONTH + timedelta(days=d)).weekday() < 5]
        for user_id, grid_id in workers:
            for d in weekdays[:22]:
                buffers[Patrol].append({"id": str(uuid.uuid4()), "worker_id": user_id, "grid_id": grid_id,
                                        "started_at": at(d, 1), "ended_at": at(d, 3), "status": "closed",
                                        "point_count": 600, "distance_m": 8000.0, "duration_s": 7200,
                                        "gap_count": 0, "gap_s": 0, "coverage_pct": rng.uniform(30, 90),
                                        "flags": [], "updated_at": at(d, 3)})
            for _ in range(25):
                buffers[CheckIn].append({"id": str(uuid.uuid4()), "user_id": user_id, "grid_id": grid_id,
                                         "lon": 117.0, "lat": 36.6, "at": at(rng.randrange(31), 2)})
            records = []
            for k in range(13):
                rid = str(uuid.uuid4())
                records.append(rid)
                stamp = at(rng.randrange(31), 3)
                buffers[RegistryRecord].append({
                    "id": rid, "kind": "person" if k < 10 else "room", "grid_id": grid_id, "name": "张三",
                    "data": {}, "version": 2 if k < 8 else 1, "review_state": "approved",
                    "created_by": user_id, "updated_by": user_id, "created_at": stamp, "updated_at": stamp})
                buffers[RecordRevision].append({"record_id": rid, "version": 1, "author_id": user_id,
                                                "at": stamp, "source": "phone", "changes": {}})
                if k < 8:
                    buffers[RecordRevision].append({"record_id": rid, "version": 2, "author_id": user_id,
                                                    "at": stamp + timedelta(days=1), "source": "phone",
                                                    "changes": {}})
            for k in range(6):
                buffers[Visit].append({"id": str(uuid.uuid4()), "record_id": records[k], "grid_id": grid_id,
                                       "author_id": user_id, "note": "走访", "photos": [],
                                       "visited_at": at(rng.randrange(31), 4)})
            for k in range(6):
                eid, reported = str(uuid.uuid4()), at(rng.randrange(25), 2)
                closed = k < 5
                buffers[Event].append({
                    "id": eid, "category_id": category, "description": "暴露垃圾", "lon": 117.0, "lat": 36.6,
                    "grid_id": grid_id, "source": "grid_worker", "reporter_id": user_id,
                    "state": "closed" if closed else "dispatched", "level": "community",
                    "closed_at": reported + timedelta(days=2) if closed else None,
                    "close_type": ("on_time" if k < 4 else "overdue") if closed else None,
                    "reported_at": reported, "received_at": reported, "updated_at": reported})
                if k < 2:
                    buffers[EventAction].append({"event_id": eid, "action": "check_pass", "actor_id": user_id,
                                                 "actor_role": "grid_worker", "level": "community",
                                                 "from_state": "handled", "to_state": "closed",
                                                 "photos": [], "at": reported + timedelta(days=2)})
            for task, n in ((survey, 3), (publicity, 1)):
                for _ in range(n):
                    buffers[TaskReport].append({
                        "id": str(uuid.uuid4()), "task_id": task.id,
                        "target_id": targets[(task.id, grid_id)].id,
                        "user_id": user_id, "grid_id": grid_id, "done_at": at(rng.randrange(31), 5),
                        "received_at": at(30, 12), "note": "", "households": 12 if task is publicity else 0,
                        "minutes": 30, "answers": {"q1": "满意"}, "photos": []})
            if max(len(rows) for rows in buffers.values()) >= 5000:
                for model, rows in buffers.items():
                    _flush(model, rows)
        for model, rows in buffers.items():
            _flush(model, rows)
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        return time.perf_counter() - started, len(workers)


def time_month(app, runs):
    from app.duties.assessment import assess, breakdown, grids_under
    from app.org.models import OrgUnit

    with app.app_context():
        district = OrgUnit.query.filter_by(level="district").one()
        times, rows = [], None
        for _ in range(runs):
            db.session.expire_all()
            started = time.perf_counter()
            result = assess(grids_under(district), "month", MONTH, today=date(2026, 11, 28))
            rows, total, _child = breakdown(district, result)
            times.append(time.perf_counter() - started)
        return statistics.median(times), max(times), len(result["workers"]), len(rows), total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| backend | workers | activity load s | district month p50 s | max s | streets | mean score |")
    print("|---|---|---|---|---|---|---|")
    for backend in ("sqlite", "postgres"):
        with fresh_app(backend) as found:
            if found is None:
                continue
            app, _path = found
            load_s, n = load(app)
            p50, worst, workers, streets, total = time_month(app, args.runs)
            assert workers == n
            print(f"| {backend} | {workers} | {load_s:.1f} | {p50:.2f} | {worst:.2f} | {streets} "
                  f"| {total['score']} |")


if __name__ == "__main__":
    main()

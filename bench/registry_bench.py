"""Registry list and search pages with 50,000 residents in one community (SQLite, PostgreSQL).

    .venv/bin/python -m bench.registry_bench [--people 50000] [--runs 40]

Loads the demo district, adds the residents to 芙蓉街社区's three grids with bulk inserts, then
times the secretary's pages in-process (Flask test client, no network): the first and a deep
page of the list, and searches by name prefix, pinyin initials, full ID number and phone tail.
"""
import argparse
import random
import statistics
import time
import uuid

from pypinyin import Style, lazy_pinyin

from app.extensions import db
from bench.common import fresh_app, print_table  # noqa: I001  (sets the keys before the app loads)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "芳伟娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红春梅海燕文"


def load(app, people):
    from flask_migrate import upgrade
    from stdnum.cn import ric

    from app.demo.data import load_demo
    from app.org.models import Grid, OrgUnit
    from app.registry import privacy
    from app.registry.models import RegistryRecord

    with app.app_context():
        upgrade()
        load_demo()
        community = OrgUnit.query.filter_by(code="LX-QCL-FRJ").one()
        grids = [g.id for g in Grid.query.filter_by(community_id=community.id)]
        rng = random.Random(50)
        started = time.perf_counter()
        rows, sample = [], {}
        for n in range(people):
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            birth = f"{rng.randint(1940, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            body = f"370102{birth}{n % 1000:03d}"
            number = body + ric.calc_check_digit(body + "0")
            phone = f"13{rng.randint(0, 999999999):09d}"
            rows.append({
                "id": str(uuid.uuid4()), "kind": "person", "grid_id": grids[n % len(grids)],
                "name": name, "name_pinyin": "".join(lazy_pinyin(name)),
                "name_initials": "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)),
                "address": f"芙蓉街{n % 300}号", "id_cipher": privacy.encrypt(number),
                "id_hash": privacy.keyed_hash(number), "id_masked": privacy.mask_id(number),
                "id_tail": number[-4:],
                "phone_cipher": privacy.encrypt(phone), "phone_hash": privacy.keyed_hash(phone),
                "phone_masked": privacy.mask_phone(phone), "phone_tail": phone[-4:],
                "data": {"population_type": "registered"}, "version": 1, "review_state": "approved",
                "created_by": 1, "updated_by": 1,
            })
            if n == people // 2:
                sample = {"id": number, "tail": phone[-4:], "name": name[:2],
                          "initials": rows[-1]["name_initials"]}
            if len(rows) == 5000:
                db.session.execute(db.insert(RegistryRecord), rows)
                rows = []
        if rows:
            db.session.execute(db.insert(RegistryRecord), rows)
        db.session.commit()
        # Planner statistics, as a deployment's routine maintenance would keep them.
        db.session.execute(db.text("ANALYZE registry_record"))
        db.session.commit()
        return sample, time.perf_counter() - started


def time_pages(app, sample, runs):
    from tests.conftest import sign_in

    client = app.test_client()
    sign_in(client, "secretary")
    pages = {
        "list, page 1": "/registry?kind=person",
        "list, page 400": "/registry?kind=person&page=400",
        "search name prefix": f"/registry?q={sample['name']}&kind=person",
        "search pinyin initials": f"/registry?q={sample['initials']}",
        "search full ID number": f"/registry?q={sample['id']}",
        "search phone tail": f"/registry?q={sample['tail']}",
    }
    results = {}
    for label, url in pages.items():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        times.sort()
        results[label] = (statistics.median(times), times[int(0.95 * (len(times) - 1))])
    return results


def explain(app, sample):
    """The plan for an initials search, to show that it uses an index."""
    with app.app_context():
        prefix = "EXPLAIN" if db.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
        rows = db.session.execute(db.text(
            f"{prefix} SELECT * FROM registry_record WHERE grid_id IN (1,2,3) AND kind='person' "
            "AND deleted_at IS NULL AND name_initials LIKE :q ORDER BY kind, name LIMIT 51"),
            {"q": sample["initials"] + "%"})
        return "\n".join(str(r[-1]) for r in rows)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        with fresh_app(backend) as ready:
            if ready is None:
                continue
            app, _path = ready
            sample, load_s = load(app, args.people)
            results = time_pages(app, sample, args.runs)
            print(f"\n{backend}: {args.people} residents loaded in {load_s:.1f} s; {args.runs} runs each")
            print_table("page", results)
            print(f"\n{backend} plan for an initials search:\n" + explain(app, sample))


if __name__ == "__main__":
    main()

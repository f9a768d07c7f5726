"""Masked ID numbers cannot be rebuilt (issue 12, item 1).

For every role, everything it receives about a resident (pages, the phone's pull, the API, the
exports), and a database copy taken without DATA_KEY, is gathered and the valid ID numbers
consistent with it are counted. The attacker is assumed to know the district's region code, the
person's birth year and sex (the pages show them) and whatever digits any mask shows; the count
must stay at 10,000 or more.
"""
import calendar
import json
import re
import uuid
from datetime import date

import pytest

from app.extensions import db
from app.registry.models import RecordRevision, RegistryRecord, Submission
from app.registry.privacy import decrypt
from tests.conftest import csrf_from

MIN_CANDIDATES = 10_000
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
MASK = re.compile(r"(?<![0-9X*])[0-9X*]{18}(?![0-9X*])")
ROLES = ["admin", "command", "street", "secretary", "leader", "worker", "rider", "dept"]
PERSON = "赵秀英"  # the demo resident born 1944-03-05, seq 002


def candidates(number, texts):
    """How many valid ID numbers fit the region, birth year, sex and every mask in ``texts``."""
    joined = "\n".join(texts)
    if number in joined:
        return 1  # the full number itself was shown
    masks = [m for m in MASK.findall(joined) if "*" in m]
    birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    # A date written out, not the same digits inside an id or a hash (which made this flaky).
    shown = [re.escape(f) for f in (birth.isoformat(), birth.strftime("%Y%m%d"),
                                    f"{birth.year}年{birth.month}月{birth.day}日",
                                    birth.strftime("%m-%d"), birth.strftime("%m%d"))]
    dates = [birth] if re.search(r"(?<![0-9A-Za-z-])(?:" + "|".join(shown) + r")(?![0-9A-Za-z])",
                                 joined) else [
        date(birth.year, m, d) for m in range(1, 13)
        for d in range(1, calendar.monthrange(birth.year, m)[1] + 1)]
    fixed = {i: c for mask in masks for i, c in enumerate(mask) if c != "*"}
    sex_parity = int(number[16]) % 2
    count = 0
    for day in dates:
        body = number[:6] + day.strftime("%Y%m%d")
        if any(fixed.get(i, ch) != ch for i, ch in enumerate(body)):
            continue
        partial = sum(int(ch) * w for ch, w in zip(body, WEIGHTS, strict=False))
        for seq in range(1000):
            digits = f"{seq:03d}"
            if int(digits[2]) % 2 != sex_parity:
                continue
            if any(fixed.get(14 + i, ch) != ch for i, ch in enumerate(digits)):
                continue
            total = partial + sum(int(ch) * w for ch, w in zip(digits, WEIGHTS[14:], strict=True))
            if fixed.get(17, CHECK[total % 11]) == CHECK[total % 11]:
                count += 1
    return count


def test_the_check_digit_arithmetic_matches_the_standard():
    from stdnum.cn import ric
    body = "37010219440305002"
    total = sum(int(ch) * w for ch, w in zip(body, WEIGHTS, strict=True))
    assert CHECK[total % 11] == ric.calc_check_digit(body + "0")
    # The old mask (first 4, last 4) beside the birth date left one number: the arithmetic sees it.
    number = body + ric.calc_check_digit(body + "0")
    assert candidates(number, ["3701**********" + number[-4:], "1944-03-05"]) == 1
    assert candidates(number, []) > 100_000


def _gather(client, record):
    """Every answer this client gets that can carry the person's data."""
    texts = []
    for url in ("/registry", f"/registry?q={record.name}", f"/registry/{record.id}",
                f"/registry/{record.id}/edit", f"/api/v1/registry/{record.id}", "/review",
                "/registry/export.csv", "/registry/app"):
        response = client.get(url)
        if response.status_code == 200:
            texts.append(response.get_data(as_text=True))
    cursor = 0
    while True:
        response = client.get(f"/api/v1/sync/pull?cursor={cursor}")
        if response.status_code != 200:
            break
        body = response.get_json()
        texts.append(json.dumps(body, ensure_ascii=False))
        if not body["more"] or body["cursor"] == cursor:
            break
        cursor = body["cursor"]
    return texts


@pytest.mark.parametrize("username", ROLES)
def test_no_role_can_rebuild_a_masked_id_number(demo, login, username):
    record = RegistryRecord.query.filter_by(name=PERSON).one()
    number = decrypt(record.id_cipher)
    texts = _gather(login(username), record)
    found = candidates(number, texts)
    assert found >= MIN_CANDIDATES, f"{username} narrows {PERSON}'s number to {found} candidates"


def test_a_database_copy_without_the_key_cannot_rebuild_them(demo):
    """Everything stored in clear: the record's columns and data, its history and submissions."""
    for record in RegistryRecord.query.filter_by(kind="person"):
        number = decrypt(record.id_cipher)
        row = db.session.execute(db.select(RegistryRecord.__table__).where(
            RegistryRecord.id == record.id)).mappings().one()
        clear = {k: v for k, v in row.items() if not k.endswith(("_cipher", "_hash"))}
        texts = [json.dumps(clear, default=str, ensure_ascii=False)]
        texts += [json.dumps(r.changes, ensure_ascii=False)
                  for r in RecordRevision.query.filter_by(record_id=record.id)]
        texts += [json.dumps([s.changes, s.conflicts], ensure_ascii=False)
                  for s in Submission.query.filter_by(record_id=record.id)]
        found = candidates(number, texts)
        assert found >= MIN_CANDIDATES, f"{record.name}: {found} candidates from a database copy"


def test_a_reveal_still_gives_the_whole_number_and_its_birth_date(demo, login):
    record = RegistryRecord.query.filter_by(name=PERSON).one()
    secretary = login("secretary")
    page = secretary.get(f"/registry/{record.id}").get_data(as_text=True)
    assert "1944" in page and "1944-03-05" not in page  # the birth year, not the date
    shown = secretary.post(f"/registry/{record.id}/reveal/id_number",
                           data={"csrf_token": csrf_from(page)}).get_data(as_text=True)
    assert decrypt(record.id_cipher) in shown and "1944-03-05" in shown


def test_the_sync_ledger_cannot_check_a_guessed_number_without_the_key(demo, login):
    """The ledger kept a plain SHA-256 of each pushed record, full ID number included: anyone
    with a database copy could hash each of the ~16,600 candidates and find the one stored."""
    import hashlib
    import uuid

    from app.sync.models import Mutation

    client = login("worker")
    user_id = client.get("/api/v1/me").get_json()["id"]
    headers = {"X-CSRFToken": client.get("/api/v1/csrf").get_json()["csrf_token"]}
    fields = {"name": "孔祥云", "id_number": "11010519491231002X", "population_type": "registered"}
    mutation_id = str(uuid.uuid4())
    record_id = str(uuid.uuid4())
    response = client.post("/api/v1/sync/push", headers=headers, json={
        "mutations": [{"id": mutation_id, "kind": "registry.create", "record_id": record_id,
                       "author_id": user_id, "created_at": "2026-11-27T08:00:00Z",
                       "base_version": None, "form_version": 2,
                       "data": {"kind": "person", "fields": fields}}]})
    assert response.get_json()["results"][0]["status"] == "applied"
    content = {"kind": "registry.create", "record_id": record_id, "base_version": None,
               "data": {"kind": "person", "fields": fields}}
    guess = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False,
                                      separators=(",", ":")).encode()).hexdigest()
    stored = db.session.get(Mutation, mutation_id).payload_sha256
    assert stored != guess
    # Replays are still recognised as the same mutation.
    again = client.post("/api/v1/sync/push", headers=headers, json={
        "mutations": [{"id": mutation_id, "kind": "registry.create", "record_id": record_id,
                       "author_id": user_id, "created_at": "2026-11-27T08:00:00Z",
                       "base_version": None, "form_version": 2,
                       "data": {"kind": "person", "fields": fields}}]})
    assert again.get_json()["results"][0]["status"] == "duplicate"


def test_whole_number_lookups_are_counted_audited_and_capped(demo, login, app):
    """A search by a whole ID number, or a record carrying one (its duplicate check), answers
    whether that number is registered: tried over the ~16,600 candidates a mask leaves, it
    rebuilt the number in 2,908 searches, or 30 pushes from another street. Each such lookup is
    audited (without the number) and a user gets ID_LOOKUPS_PER_HOUR of them."""
    from app.audit.models import AuditLog

    app.config["ID_LOOKUPS_PER_HOUR"] = 3
    AuditLog.query.filter_by(action="registry.id_lookup").delete()  # the demo's own registrations
    db.session.commit()
    record = RegistryRecord.query.filter_by(name=PERSON).one()
    number = decrypt(record.id_cipher)
    worker = login("worker")
    for guess in ("370102194403050010", "370102194403050029", "370102194403050037"):
        assert PERSON not in worker.get(f"/registry?q={guess}").get_data(as_text=True)
    capped = worker.get(f"/registry?q={number}").get_data(as_text=True)
    assert PERSON not in capped and "查验过于频繁" in capped
    rows = AuditLog.query.filter_by(action="registry.id_lookup").all()
    assert len(rows) == 3 and not any(number[:10] in json.dumps(r.detail) for r in rows)
    # A pushed record with a registered number is not refused to its author (that answer would
    # confirm the number): it is applied and marked for the secretary, and spends no lookup.
    other = login("w-dmh-qst-01")
    headers = {"X-CSRFToken": other.get("/api/v1/csrf").get_json()["csrf_token"]}
    user_id = other.get("/api/v1/me").get_json()["id"]
    answers = []
    for guess in (number, "370102194403050010"):
        response = other.post("/api/v1/sync/push", headers=headers, json={"mutations": [{
            "id": str(uuid.uuid4()), "kind": "registry.create", "record_id": str(uuid.uuid4()),
            "author_id": user_id, "created_at": "2026-11-27T08:00:00Z", "form_version": 2,
            "data": {"kind": "person", "fields": {"name": "试探", "id_number": guess,
                                                  "population_type": "registered"}}}]})
        answers.append(response.get_json()["results"][0])
    statuses = {a["status"] for a in answers}
    assert statuses <= {"applied", "rejected"} and not any("已登记" in json.dumps(a, ensure_ascii=False)
                                                          for a in answers)
    assert answers[0]["status"] == "applied"


def test_a_refused_web_form_still_counts_its_number_lookup(demo, login):
    """The secretary's form for a number already registered is refused, and nothing of the form
    is kept, except the audited lookup that answered it: otherwise refusals would be free
    oracles."""
    from app.audit.models import AuditLog
    from tests.support import Phone

    number = "11010519491231002X"
    Phone(login("worker")).create("person", {"name": "钱一", "id_number": number,
                                             "population_type": "registered"})
    secretary = login("secretary")
    lookups = AuditLog.query.filter_by(action="registry.id_lookup").count
    before = lookups()
    form = secretary.get("/registry/new/person").get_data(as_text=True)
    grid = re.search(r'name="grid_id"><option value="">—</option><option value="(\d+)"', form).group(1)
    page = secretary.post("/registry/new/person", data={
        "csrf_token": csrf_from(form), "grid_id": grid, "name": "钱二", "id_number": number,
        "population_type": "registered"})
    assert "该身份号码已登记" in page.get_data(as_text=True)
    assert RegistryRecord.query.filter_by(name="钱二").count() == 0
    assert lookups() == before + 1

"""A grid worker's whole day on a 360×640 phone, through the UI as a worker would use it.

Online in the morning just long enough for the phone to become offline-ready; then, with no
network, a patrol with two check-ins (one with a photo), two reports, a new resident, a
building's edit and a task report; the browser is closed and opened again, still offline, and
the outbox is all there; the network comes back and everything syncs. The secretary, the street
and a department take one report to "handled" with a photo; the worker sees that photo on the
on-site check screen offline, passes the check, syncs, and the event closes on time. At the end
the server holds every item exactly once.
"""
import json
import sqlite3
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import LiveServer
from tests.pwa import (
    WORKER_SPOT,
    act,
    cut_network,
    make_report,
    outbox_states,
    persistent_phone,
    photo_file,
    restore_network,
    set_gps,
    sign_in,
    stored_photos,
    sync,
)

# Inside 芙蓉街社区第1网格: six fixes north, about 14 m apart.
WALK = [(117.0090, 36.6610 + i * 0.000126) for i in range(6)]
REPORT_MANHOLE = "whole-day 芙蓉街口井盖缺失"
REPORT_LITTER = "whole-day 西更道暴露垃圾"
CHECKIN_PLAIN, CHECKIN_PHOTO = "whole-day 芙蓉街口", "whole-day 西更道路口"
NEW_PERSON, NEW_PERSON_ID = "钱一天", "11010519491231002X"
BUILDING, NEW_PROPERTY = "芙蓉街18号院", "明湖物业"
TASK = "核查芙蓉街沿街商铺灭火器"
TASK_NOTE = "whole-day 12 户灭火器已查，2 具过期已登记"
OUTBOX_KINDS = ["event.report", "event.report", "patrol.checkin", "patrol.checkin", "patrol.chunk",
                "patrol.start", "patrol.stop", "registry.create", "registry.edit", "task.report"]

# Everything the day needs offline: the pages kept, the pull done (the building to edit is on
# the phone) and the task to report on in the kept /tasks page.
DAY_READY = """async ([building, task]) => {
    const reg = await navigator.serviceWorker.getRegistration();
    if (!reg || !reg.active || !navigator.serviceWorker.controller) return false;
    if (!(await caches.has('gridwalk-pages'))) return false;
    const cache = await caches.open('gridwalk-pages');
    for (const page of ['/report', '/reports', '/patrol', '/registry/app', '/tasks']) {
      if (!(await cache.match(page))) return false;
    }
    if (!(await (await cache.match('/tasks')).text()).includes(task)) return false;
    const records = await new Promise((resolve, reject) => {
      const open = indexedDB.open('gridwalk');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const req = open.result.transaction('records').objectStore('records').getAll();
        req.onsuccess = () => { resolve(req.result); open.result.close(); };
      };
    });
    return records.some((r) => r.type === 'record' && r.name === building);
}"""

OUTBOX_ITEMS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open('gridwalk');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const req = open.result.transaction('outbox').objectStore('outbox').getAll();
    req.onsuccess = () => { resolve(req.result.map((m) => [m.kind, m.state])); open.result.close(); };
  };
})"""


@pytest.fixture(scope="module")
def server(playwright_instance, tmp_path_factory):
    """The day's own server, so that "exactly once" counts only what this day made."""
    live = LiveServer(tmp_path_factory.mktemp("whole-day")).start()
    yield live
    live.stop()


def query(server, sql, *args):
    with sqlite3.connect(server.db_path) as conn:
        return conn.execute(sql, args).fetchall()


def poll(predicate, what, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never happened")
        time.sleep(0.2)


def outbox_items(page):
    return sorted(tuple(item) for item in page.evaluate(OUTBOX_ITEMS))








def event_row(server, description):
    (row,) = query(server, "SELECT id, state, level, close_type, rework_count FROM event "
                   "WHERE description = ?", description)
    return row


# --- the worker's offline morning -----------------------------------------------------------

def patrol_with_two_check_ins(context, page, base_url, photo):
    page.goto(base_url + "/patrol")
    set_gps(context, *WALK[0])
    page.get_by_role("button", name="开始巡查").click()
    expect(page.get_by_role("button", name="结束巡查")).to_be_visible()
    points = page.locator("[data-stat=points]")
    expect(points).to_have_text("1")
    for n, (lon, lat) in enumerate(WALK[1:], start=2):
        set_gps(context, lon, lat)
        expect(points).to_have_text(str(n))
        if n == 3:
            page.get_by_label("打卡备注（可选）").fill(CHECKIN_PLAIN)
            page.get_by_role("button", name="在这里打卡").click()
            expect(page.locator("[data-checkin-status]")).to_contain_text("✓")
        if n == 5:
            page.get_by_label("照片（可选）").set_input_files(photo)
            page.get_by_label("打卡备注（可选）").fill(CHECKIN_PHOTO)
            page.get_by_role("button", name="在这里打卡").click()
            # Saved: the form is cleared (the ✓ of the first check-in is still showing).
            expect(page.get_by_label("打卡备注（可选）")).to_have_value("")
            expect(page.get_by_label("照片（可选）")).to_have_value("")
    page.get_by_role("button", name="结束巡查").click()
    summary = page.locator("[data-summary]")
    expect(summary).to_be_visible()
    expect(summary.locator("[data-sum=points]")).to_have_text(str(len(WALK)))
    expect(summary.locator("[data-sum=checkins]")).to_have_text("2")
    set_gps(context, WORKER_SPOT["longitude"], WORKER_SPOT["latitude"], WORKER_SPOT["accuracy"])


def register_a_resident(page, base_url):
    page.goto(base_url + "/registry/app")
    page.get_by_role("link", name="新建实有人口").click()
    page.get_by_label("姓名 *", exact=True).fill(NEW_PERSON)
    page.get_by_label("公民身份号码").fill(NEW_PERSON_ID)
    page.get_by_label("人口类型").select_option(label="户籍人口")
    page.get_by_label("住址").fill("芙蓉街18号院1单元102")
    page.get_by_role("button", name="保存").click()
    row = page.locator("[data-list] li").filter(has_text=NEW_PERSON)
    expect(row.get_by_text("等待发送")).to_be_visible()


def edit_a_building(page, base_url):
    page.goto(base_url + "/registry/app")
    page.get_by_role("link", name=BUILDING, exact=True).click()
    expect(page.locator("[data-show]")).to_contain_text(BUILDING)
    page.locator("[data-show]").get_by_role("link", name="编辑").click()
    page.get_by_label("物业公司").fill(NEW_PROPERTY)
    page.get_by_role("button", name="保存").click()
    row = page.locator("[data-list] li").filter(has=page.get_by_role("link", name=BUILDING, exact=True))
    expect(row.get_by_text("等待发送")).to_be_visible()


def report_on_a_task(page, base_url):
    page.goto(base_url + "/tasks")
    task = page.locator("article.task").filter(has_text=TASK)
    task.get_by_text("填写记录").click()
    task.get_by_label("完成情况说明").fill(TASK_NOTE)
    task.get_by_label("用时（分钟）").fill("40")
    task.get_by_role("button", name="保存记录").click()
    expect(task.get_by_text("已保存，等待发送")).to_be_visible()
    expect(task.get_by_text("待发送 1 份")).to_be_visible()


# --- the office ------------------------------------------------------------------------------

def office_takes_it_to_handled(browser, server, event_id, fixed_photo):
    """Each desk in its own browser: secretary up to the street, the street files and dispatches,
    the department takes it and reports it handled with a photo."""
    steps = (("secretary", ["上报上级"], {}), ("street", ["立案", "派遣部门"], {}),
             ("dept", ["接收", "反馈已处置"], {"反馈已处置": {"photo": fixed_photo}}))
    for username, buttons, fills in steps:
        office = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        desk = office.new_page()
        sign_in(desk, server.url, username)
        if username != "street":  # in the secretary's inbox and the department's list
            desk.goto(server.url + "/events")
            expect(desk.get_by_role("link", name=REPORT_MANHOLE)).to_be_visible()
        for button in buttons:
            act(desk, server.url, event_id, button, **fills.get(button, {}))
        if username == "street":
            assert event_row(server, REPORT_MANHOLE)[1:3] == ("dispatched", "street")
        office.close()
    assert event_row(server, REPORT_MANHOLE)[1] == "handled"


# --- what the server holds at night ----------------------------------------------------------

def assert_the_day_is_on_the_server_once(server):
    ((worker_id,),) = query(server, "SELECT id FROM user WHERE username = 'worker'")
    # The ledger: each of the phone's mutations applied once (the day's work and the check).
    ledger = query(server, "SELECT kind FROM sync_mutation WHERE user_id = ? ORDER BY kind", worker_id)
    assert [kind for (kind,) in ledger] == sorted([*OUTBOX_KINDS, "event.transition"])
    patrols = query(server, "SELECT id, status, point_count FROM patrol WHERE worker_id = ?", worker_id)
    assert len(patrols) == 1, patrols
    patrol_id, status, points = patrols[0]
    assert status == "closed" and points == len(WALK)
    checkins = query(server, "SELECT note, photo_id FROM patrol_checkin WHERE patrol_id = ?", patrol_id)
    assert sorted(note for note, _ in checkins) == sorted([CHECKIN_PLAIN, CHECKIN_PHOTO])
    photo_of = dict(checkins)
    assert photo_of[CHECKIN_PLAIN] is None and photo_of[CHECKIN_PHOTO]
    ((key,),) = query(server, "SELECT storage_key FROM media WHERE id = ?", photo_of[CHECKIN_PHOTO])
    assert (Path(server.env["MEDIA_ROOT"]) / key).stat().st_size > 0

    events = query(server, "SELECT id, description, reporter_id FROM event "
                   "WHERE description LIKE 'whole-day%'")
    assert sorted(d for _, d, _ in events) == sorted([REPORT_MANHOLE, REPORT_LITTER])
    assert {r for _, _, r in events} == {worker_id}
    for event_id, _, _ in events:
        (image,) = stored_photos(server, event_id)  # the file is there and decodes
        assert image.size == (1600, 1067)  # resized on the phone

    people = query(server, "SELECT id, version, address, id_cipher FROM registry_record "
                   "WHERE kind = 'person' AND name = ?", NEW_PERSON)
    assert len(people) == 1, people
    person_id, version, address, id_cipher = people[0]
    assert version == 1 and address == "芙蓉街18号院1单元102"
    assert NEW_PERSON_ID not in (id_cipher or "")
    assert query(server, "SELECT op FROM registry_submission WHERE record_id = ?", person_id) == [("create",)]

    ((building_id, version, data),) = query(
        server, "SELECT id, version, data FROM registry_record WHERE kind = 'building' AND name = ?",
        BUILDING)
    assert version == 2 and json.loads(data)["property_company"] == NEW_PROPERTY
    assert query(server, "SELECT op, base_version FROM registry_submission WHERE record_id = ? "
                 "AND author_id = ? AND op = 'edit'", building_id, worker_id) == [("edit", 1)]

    assert query(server, "SELECT t.title, r.note, r.minutes FROM task_report r "
                 "JOIN task t ON t.id = r.task_id WHERE r.user_id = ?", worker_id) == [(TASK, TASK_NOTE, 40)]


def test_a_workers_whole_day_offline_through_the_closed_loop(playwright_instance, browser, server, tmp_path):
    base = server.url
    profile = tmp_path / "profile"

    # Morning, online: sign in and let the phone get ready for the day.
    phone_ctx = persistent_phone(playwright_instance, profile)
    phone = phone_ctx.pages[0] if phone_ctx.pages else phone_ctx.new_page()
    sign_in(phone, base, "worker")
    poll(lambda: phone.evaluate(DAY_READY, [BUILDING, TASK]), "the phone getting offline-ready")
    cut_network(phone_ctx)

    # The day's work, with no network at all.
    checkin_photo = photo_file(tmp_path, "checkin.jpg", color=(30, 90, 200))
    patrol_with_two_check_ins(phone_ctx, phone, base, checkin_photo)
    make_report(phone, base, REPORT_MANHOLE, photo_file(tmp_path), category="公共设施 / 井盖缺损")
    make_report(phone, base, REPORT_LITTER, photo_file(tmp_path, "litter.jpg", color=(40, 160, 60)))
    register_a_resident(phone, base)
    edit_a_building(phone, base)
    report_on_a_task(phone, base)
    assert outbox_items(phone) == [(kind, "pending") for kind in OUTBOX_KINDS]
    assert query(server, "SELECT count(*) FROM patrol") == [(0,)]
    assert query(server, "SELECT count(*) FROM event WHERE description LIKE 'whole-day%'") == [(0,)]

    # The phone is put away: the browser closes, and opens again with still no network.
    phone_ctx.close()
    phone_ctx = persistent_phone(playwright_instance, profile)
    cut_network(phone_ctx)
    phone = phone_ctx.pages[0] if phone_ctx.pages else phone_ctx.new_page()
    phone.goto(base + "/reports")
    for description in (REPORT_MANHOLE, REPORT_LITTER):
        item = phone.locator("#report-list li").filter(has_text=description)
        expect(item.get_by_text("等待发送")).to_be_visible()
    expect(phone.locator("#sync-bar")).to_contain_text(f"待发送 {len(OUTBOX_KINDS)} 条")
    assert outbox_items(phone) == [(kind, "pending") for kind in OUTBOX_KINDS]
    phone.goto(base + "/registry/app")
    for name in (NEW_PERSON, BUILDING):
        row = phone.locator("[data-list] li").filter(has=phone.get_by_role("link", name=name, exact=True))
        expect(row.get_by_text("等待发送")).to_be_visible()
    phone.goto(base + "/tasks")
    expect(phone.locator("article.task").filter(has_text=TASK).get_by_text("待发送 1 份")).to_be_visible()
    phone.goto(base + "/patrol")
    expect(phone.get_by_role("button", name="开始巡查")).to_be_visible()  # the patrol was ended
    expect(phone.get_by_role("button", name="继续巡查")).to_be_hidden()

    # Back in signal: 立即同步 until nothing waits.
    restore_network(phone_ctx)
    sync(phone, timeout=45)
    phone.goto(base + "/reports")
    for description in (REPORT_MANHOLE, REPORT_LITTER):
        phone.locator("#report-list li").filter(has_text=description).get_by_text("已发送").wait_for()

    # The office takes the manhole report to handled, with the department's photo.
    event_id = event_row(server, REPORT_MANHOLE)[0]
    office_takes_it_to_handled(browser, server, event_id,
                               photo_file(tmp_path, "fixed.jpg", size=(1200, 900), color=(90, 90, 90)))

    # The worker pulls online, then checks on site with no signal: the department's photo is
    # there to compare with, and passing asks once more.
    phone.goto(base + "/reports")
    phone.get_by_role("button", name="立即同步").click()
    item = phone.locator("#report-list li").filter(has_text=REPORT_MANHOLE)
    expect(item.get_by_text("待我核查")).to_be_visible(timeout=15000)
    cut_network(phone_ctx)
    phone.reload()
    item = phone.locator("#report-list li").filter(has_text=REPORT_MANHOLE)
    proof = item.get_by_role("img", name="处置后照片")
    expect(proof).to_be_visible()
    phone.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=proof.element_handle())
    item.get_by_role("button", name="核查通过").click()
    assert outbox_states(phone) == []
    item.get_by_role("button", name="确认核查通过并结案").click()
    expect(item.get_by_text("核查结果等待发送")).to_be_visible()
    assert outbox_states(phone) == ["pending"]
    assert event_row(server, REPORT_MANHOLE)[1] == "handled"
    restore_network(phone_ctx)
    sync(phone, timeout=45)
    _, state, _, close_type, rework = event_row(server, REPORT_MANHOLE)
    assert (state, close_type, rework) == ("closed", "on_time", 0)
    phone_ctx.close()

    assert_the_day_is_on_the_server_once(server)

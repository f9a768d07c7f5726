"""The offline engine in Chromium at 360×640, against gunicorn.

a) after one online visit the app and the report form work with the network cut;
b) 20 reports with photos made offline survive closing the browser and sync exactly once;
c) failing pushes and a reply lost after the server committed lose and double nothing;
d) an expired session keeps the outbox, asks for sign-in, and syncs under the right user;
e) an invalid report comes back as "needs fixing", is fixed on the phone, and syncs.
"""
import sqlite3
import time

from playwright.sync_api import expect

from tests.pwa import (
    PHONE,
    cut_network,
    make_report,
    outbox_states,
    persistent_phone,
    photo_file,
    restore_network,
    server_events,
    sign_in,
    stored_photos,
    wait_for_outbox,
    wait_until_offline_ready,
)


def online_worker(browser, live_server, username="worker"):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, username)
    wait_until_offline_ready(page)
    return context, page


def test_a_app_and_report_form_work_with_the_network_cut(browser, live_server, tmp_path):
    context, page = online_worker(browser, live_server)
    cut_network(context)
    page.goto(live_server.url + "/report")
    expect(page.get_by_role("heading", name="随手拍")).to_be_visible()
    # The map picks a point offline, flagged as placed by hand, with the marker where tapped.
    page.get_by_role("button", name="在地图上选点").click()
    grid_map = page.get_by_role("img", name="我的网格地图，点击选点")
    grid_map.scroll_into_view_if_needed()
    area = grid_map.locator("polygon").first.bounding_box()
    tap = (area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
    page.mouse.click(*tap)
    expect(page.locator("#location-status")).to_contain_text("地图")
    marker = grid_map.locator("circle.marker").bounding_box()
    assert abs(marker["x"] + marker["width"] / 2 - tap[0]) < 3
    assert page.locator("[name=location_manual]").is_checked()
    make_report(page, live_server.url, "test-a 井盖缺失", photo_file(tmp_path))
    item = page.locator("#report-list li").filter(has_text="test-a 井盖缺失")
    expect(item.get_by_text("等待发送")).to_be_visible()
    expect(page.locator("#sync-bar")).to_contain_text("待发送 1 条")
    assert outbox_states(page) == ["pending"]
    assert server_events(live_server, "test-a%") == []
    # A page never visited still opens: the offline fallback page.
    page.goto(live_server.url + "/grids/1")
    expect(page.get_by_role("heading", name="现在没有网络")).to_be_visible()
    page.goto(live_server.url + "/reports")
    restore_network(context)
    wait_for_outbox(page, lambda states: states == [])
    page.locator("#report-list li").filter(has_text="test-a 井盖缺失").get_by_text("已发送").wait_for()
    assert len(server_events(live_server, "test-a%")) == 1
    context.close()


def test_b_twenty_offline_reports_survive_a_restart_and_sync_once(playwright_instance, live_server, tmp_path):
    profile = tmp_path / "profile"
    photo = photo_file(tmp_path)
    context = persistent_phone(playwright_instance, profile)
    page = context.new_page()
    sign_in(page, live_server.url, "worker")
    wait_until_offline_ready(page)
    cut_network(context)
    for n in range(20):
        make_report(page, live_server.url, f"test-b 第{n + 1:02d}条", photo)
    assert outbox_states(page) == ["pending"] * 20
    context.close()

    context = persistent_phone(playwright_instance, profile)
    cut_network(context)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(live_server.url + "/reports")
    expect(page.locator("#report-list li").filter(has_text="test-b")).to_have_count(20)
    assert server_events(live_server, "test-b%") == []
    restore_network(context)
    page.reload()
    wait_for_outbox(page, lambda states: states == [], timeout=60)
    events = server_events(live_server, "test-b%")
    assert len(events) == 20 and len({e[1] for e in events}) == 20
    assert all(e[2] == "worker" and e[4] == 1 for e in events)
    for event in events:
        (image,) = stored_photos(live_server, event[0])
        assert image.size == (1600, 1067)  # resized on the phone, kept by the server
        r, g, b = image.resize((1, 1)).getpixel((0, 0))
        assert abs(r - 200) < 12 and abs(g - 120) < 12 and abs(b - 40) < 12
    context.close()


def test_c_failed_pushes_and_a_lost_reply_neither_lose_nor_double(browser, live_server, tmp_path):
    context, page = online_worker(browser, live_server)
    cut_network(context)
    photo = photo_file(tmp_path)
    for n in range(6):
        make_report(page, live_server.url, f"test-c 第{n + 1}条", photo)
    restore_network(context)
    calls = []

    # The first push fails, the second is stored but its reply is lost, the third fails again.
    # Each 500 puts its records on their own backoff (2 s × 2^attempts, ±25 %), so the failures
    # are kept to the first three calls: one more on a record's fourth attempt would make it wait
    # 24–40 s and race the timeout (it did, in CI).
    def flaky_push(route):
        calls.append(route.request.post_data_json["mutations"])
        n = len(calls)
        if n == 2:
            route.fetch()  # the server stores the batch …
            route.abort("connectionreset")  # … and the reply never reaches the phone
        elif n in (1, 3):
            route.fulfill(status=500, body="boom")
        else:
            route.continue_()

    context.route("**/api/v1/sync/push", flaky_push)
    sync_now = page.get_by_role("button", name="立即同步")
    # The worker taps "sync now" through the failures, then leaves the phone alone: the records
    # still on their backoff go by themselves when it has passed, not at the next minute's timer.
    wait_for_outbox(page, lambda states: states == [], timeout=45,
                    poke=lambda: sync_now.click() if len(calls) < 3 else None)
    assert len(calls) >= 4
    assert sum(len(batch) for batch in calls[:1]) == 6
    events = server_events(live_server, "test-c%")
    assert len(events) == 6 and len({e[1] for e in events}) == 6
    context.close()


def test_d_expired_session_keeps_the_outbox_and_syncs_as_the_author(browser, live_server, tmp_path):
    context, page = online_worker(browser, live_server)
    cut_network(context)
    photo = photo_file(tmp_path)
    make_report(page, live_server.url, "test-d 第1条", photo)
    make_report(page, live_server.url, "test-d 第2条", photo)
    context.clear_cookies()  # the session runs out while the phone is offline
    restore_network(context)
    page.get_by_role("button", name="立即同步").click()
    auth = page.locator("#auth-bar")
    auth.wait_for(state="visible")
    expect(auth).to_contain_text("登录已过期")
    assert outbox_states(page) == ["pending", "pending"]

    # Someone else signs in on this phone: the worker's records stay, unseen and unsent.
    auth.get_by_role("link", name="重新登录").click()
    page.wait_for_url(lambda url: "/login?next=" in url)
    sign_in(page, live_server.url, "leader", navigate=False)
    assert page.url.endswith("/reports")  # back where the worker was
    expect(page.locator("#others-waiting")).to_contain_text("其他用户的 2 条记录")
    page.get_by_role("button", name="立即同步").click()
    expect(page.locator("#sync-bar")).to_contain_text("待发送 0 条")
    expect(page.locator("#report-list")).not_to_contain_text("test-d")
    assert outbox_states(page) == ["pending", "pending"]
    assert server_events(live_server, "test-d%") == []

    sign_out(page, live_server.url)
    sign_in(page, live_server.url, "worker")
    page.goto(live_server.url + "/reports")
    wait_for_outbox(page, lambda states: states == [],
                    poke=lambda: page.get_by_role("button", name="立即同步").click())
    events = server_events(live_server, "test-d%")
    assert sorted(e[2] for e in events) == ["worker", "worker"]
    context.close()


def test_e_invalid_report_needs_fixing_then_syncs(browser, live_server, tmp_path):
    context, page = online_worker(browser, live_server)
    cut_network(context)
    make_report(page, live_server.url, "test-e 乱堆物料", photo_file(tmp_path),
                category="市容环境 / 乱堆物料")
    with sqlite3.connect(live_server.db_path) as conn:  # the admin switches the category off
        conn.execute("UPDATE event_category SET active = 0 WHERE code = 'SR02'")
    try:
        restore_network(context)
        page.goto(live_server.url + "/reports")
        wait_for_outbox(page, lambda states: states == ["needs_fix"],
                        poke=lambda: page.get_by_role("button", name="立即同步").click())
        item = page.locator("#report-list li").filter(has_text="test-e")
        item.get_by_text("需要修改").first.wait_for()
        assert "该类别已停用或不存在" in item.inner_text()
        item.get_by_role("link", name="需要修改").click()
        page.wait_for_url(lambda url: "/report?fix=" in url)
        expect(page.locator("#fix-banner")).to_contain_text("该类别已停用或不存在")
        expect(page.get_by_label("情况描述")).to_have_value("test-e 乱堆物料")
        expect(page.locator("#photo-list img")).to_have_count(1)
        page.get_by_label("类别").select_option(label="市容环境 / 暴露垃圾")
        page.get_by_role("button", name="保存并上报").click()
        page.wait_for_url("**/reports")
        wait_for_outbox(page, lambda states: states == [],
                        poke=lambda: page.get_by_role("button", name="立即同步").click())
        events = server_events(live_server, "test-e%")
        assert len(events) == 1 and events[0][3] == "SR01"
    finally:
        with sqlite3.connect(live_server.db_path) as conn:
            conn.execute("UPDATE event_category SET active = 1 WHERE code = 'SR02'")
    context.close()


AGE_OUTBOX = """(days) => new Promise((resolve, reject) => {
  const open = indexedDB.open('gridwalk');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const tx = db.transaction('outbox', 'readwrite');
    const store = tx.objectStore('outbox');
    const req = store.getAll();
    req.onsuccess = () => {
      const old = new Date(Date.now() - days * 86400000).toISOString();
      req.result.forEach((m) => store.put({ ...m, queued_at: old }));
    };
    tx.oncomplete = () => { db.close(); resolve(); };
  };
})"""


def test_f_a_record_the_server_answers_retry_waits_alone_while_the_others_go(browser, live_server, tmp_path):
    """The server fails on one record (answer 'retry'): the others in its batch are stored, a
    record made later is sent while that one waits on its own backoff, and it goes in the end.
    A record that has waited more than a day is pointed out in plain words."""
    import json

    context, page = online_worker(browser, live_server)
    cut_network(context)
    photo = photo_file(tmp_path)
    for n in range(3):
        make_report(page, live_server.url, f"test-retry 第{n + 1}条", photo)
    page.evaluate(AGE_OUTBOX, 2)
    page.reload()
    expect(page.locator("#stale-bar")).to_contain_text("有 3 条记录已等待超过一天")
    restore_network(context)
    doomed, sent = {}, []

    def server_fails_on_one(route):
        mutations = route.request.post_data_json["mutations"]
        sent.append([m["data"]["description"] for m in mutations])
        bad = [m for m in mutations if m["data"]["description"] == "test-retry 第2条"]
        if not bad or doomed.get("released"):
            route.continue_()
            return
        doomed["tries"] = doomed.get("tries", 0) + 1
        rest = [m for m in mutations if m not in bad]
        results = []
        if rest:
            response = route.fetch(post_data=json.dumps({"mutations": rest}))
            results = response.json()["results"]
        results.append({"id": bad[0]["id"], "status": "retry", "code": "server_error",
                        "message": "服务器暂时无法处理这条记录，稍后会自动重试"})
        route.fulfill(status=200, content_type="application/json",
                      body=json.dumps({"results": results, "server_time": "2026-11-29T00:00:00Z"}))

    context.route("**/api/v1/sync/push", server_fails_on_one)
    page.get_by_role("button", name="立即同步").click()
    wait_for_outbox(page, lambda states: states == ["pending"])
    stored = {e[1] for e in server_events(live_server, "test-retry%")}
    assert stored == {"test-retry 第1条", "test-retry 第3条"}
    # A record made now goes out at once, while the failed one waits for its own backoff.
    make_report(page, live_server.url, "test-retry 第4条", photo)
    wait_for_outbox(page, lambda states: states == ["pending"],
                    poke=lambda: page.get_by_role("button", name="立即同步").click())
    assert "test-retry 第4条" in {e[1] for e in server_events(live_server, "test-retry%")}
    assert ["test-retry 第4条"] in sent, sent  # sent without the waiting one
    # The server is fixed: the waiting record goes once its backoff has passed.
    doomed["released"] = True
    wait_for_outbox(page, lambda states: states == [], timeout=40,
                    poke=lambda: page.get_by_role("button", name="立即同步").click())
    assert len(server_events(live_server, "test-retry%")) == 4
    expect(page.locator("#stale-bar")).to_be_hidden()
    context.close()


LOCAL_DATA = """(needle) => new Promise((resolve, reject) => {
  const open = indexedDB.open('gridwalk');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const tx = db.transaction(['records', 'meta', 'outbox']);
    const records = tx.objectStore('records').getAll();
    const cursor = tx.objectStore('meta').get('cursor');
    const outbox = tx.objectStore('outbox').getAll();
    tx.oncomplete = async () => {
      db.close();
      const kept = [];
      let found = false;
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) {
          if (name === 'gridwalk-pages') kept.push(new URL(request.url).pathname);
          if (needle && (await (await cache.match(request)).text()).includes(needle)) found = true;
        }
      }
      resolve({ types: records.result.map((r) => r.type), cursor: cursor.result ?? null,
                outbox: outbox.result.map((m) => m.author_id), pages: kept, found,
                hasPages: await caches.has('gridwalk-pages') });
    };
  };
})"""


def local_data(page, needle=""):
    return page.evaluate(LOCAL_DATA, needle)


def wait_for_local(page, predicate, timeout=20):
    deadline = time.monotonic() + timeout
    data = local_data(page)
    while not predicate(data) and time.monotonic() < deadline:
        time.sleep(0.3)
        data = local_data(page)
    assert predicate(data), data
    return data


def sign_out(page, base_url):
    page.goto(base_url + "/me")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(lambda url: "/login" in url)
    page.wait_for_load_state("networkidle")


def test_g_a_shared_phone_forgets_the_last_user_at_sign_out(browser, live_server, tmp_path):
    """The worker pulls residents' records and leaves a report unsent; signs out; the rider
    signs in on the same phone. The worker's pulled records, cursor and kept pages are gone, and
    the rider sees neither residents nor the worker's report; the report stays and goes when the
    worker signs in again."""
    context, page = online_worker(browser, live_server)
    page.goto(live_server.url + "/registry/app")
    before = wait_for_local(page, lambda d: "record" in d["types"] and d["cursor"] is not None
                            and "/registry/app" in d["pages"])
    assert "/login" not in before["pages"]
    cut_network(context)
    make_report(page, live_server.url, "test-g 共用手机", photo_file(tmp_path))
    restore_network(context)
    context.route("**/api/v1/sync/push", lambda route: route.abort("internetdisconnected"))
    sign_out(page, live_server.url)
    after = wait_for_local(page, lambda d: not d["hasPages"] and not d["types"])
    assert after["cursor"] is None and len(after["outbox"]) == 1  # the unsent report is kept

    sign_in(page, live_server.url, "rider", navigate=False)
    page.goto(live_server.url + "/reports")
    expect(page.locator("#others-waiting")).to_contain_text("其他用户的 1 条记录")
    expect(page.locator("#report-list")).not_to_contain_text("test-g")
    page.goto(live_server.url + "/patrol")
    page.get_by_role("button", name="开始巡查").wait_for()
    rider = local_data(page)
    assert "record" not in rider["types"] and len(rider["outbox"]) == 1
    assert "/registry/app" not in rider["pages"]  # the worker's residents' app is not kept
    context.unroute("**/api/v1/sync/push")
    page.get_by_role("button", name="立即同步").click()
    time.sleep(1)
    assert server_events(live_server, "test-g%") == []  # never sent under the rider

    sign_out(page, live_server.url)
    sign_in(page, live_server.url, "worker")
    page.goto(live_server.url + "/reports")
    wait_for_outbox(page, lambda states: states == [],
                    poke=lambda: page.get_by_role("button", name="立即同步").click())
    assert [e[2] for e in server_events(live_server, "test-g%")] == ["worker"]
    context.close()


def test_h_a_revealed_number_is_never_kept_and_sign_out_clears_the_pages(browser, live_server):
    """A secretary reveals a resident's number: the page is sent no-store and no cache holds it;
    after sign-out, the record's page does not open offline."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, "secretary")
    page.goto(live_server.url + "/registry?q=赵秀英")
    page.get_by_role("link", name="赵秀英").click()
    record_url = page.url
    with page.expect_response(lambda r: "/reveal/id_number" in r.url) as revealed:
        page.get_by_role("button", name="查看完整号码").first.click()
    assert revealed.value.headers["cache-control"] == "no-store"
    number = page.get_by_role("status").filter(has_text="完整号码").inner_text().split("：")[1][:18]
    assert len(number) == 18 and number[:17].isdigit()
    page.goto(record_url)  # the record's page again, as a secretary would
    assert not local_data(page, number)["found"]
    sign_out(page, live_server.url)
    assert not local_data(page, number)["found"] and not local_data(page)["pages"]
    cut_network(context)
    page.goto(record_url)
    expect(page.locator("body")).not_to_contain_text("赵秀英")
    context.close()

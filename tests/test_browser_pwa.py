"""The installable app in Chromium: the manifest, saving the outbox to a file that a secretary
ingests (nothing doubles when the phone later syncs), and the "new version" update flow."""
import json

from playwright.sync_api import expect

from tests.pwa import (
    PHONE,
    cut_network,
    make_report,
    outbox_states,
    photo_file,
    restore_network,
    server_events,
    sign_in,
    wait_for_outbox,
    wait_until_offline_ready,
)


def test_manifest_makes_the_app_installable(live_server, browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, "rider")
    href = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = page.request.get(live_server.url + href).json()
    assert manifest["short_name"] == "网格行" and manifest["display"] == "standalone"
    assert manifest["start_url"].startswith("/")
    purposes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"),
            ("512x512", "maskable")} <= purposes
    for icon in manifest["icons"]:
        assert page.request.get(live_server.url + icon["src"]).headers["content-type"] == "image/png"
    wait_until_offline_ready(page)  # riders get the offline pages too
    context.close()


def test_outbox_saved_to_a_file_is_ingested_once(browser, live_server, tmp_path):
    context = browser.new_context(**PHONE, accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_server.url, "worker")
    wait_until_offline_ready(page)
    cut_network(context)
    photo = photo_file(tmp_path)
    make_report(page, live_server.url, "test-f 第1条", photo)
    make_report(page, live_server.url, "test-f 第2条", photo)
    with page.expect_download() as download:
        page.get_by_role("button", name="把待发送记录保存为文件").click()
    saved = tmp_path / "outbox.json"
    download.value.save_as(saved)
    data = json.loads(saved.read_text())
    assert data["format"] == "gridwalk-outbox" and len(data["mutations"]) == 2
    assert len(data["media"]) == 2

    office = browser.new_context()
    secretary = office.new_page()
    sign_in(secretary, live_server.url, "secretary")
    secretary.goto(live_server.url + "/sync/ingest")
    secretary.locator("input[type=file]").set_input_files(str(saved))
    secretary.get_by_role("button", name="导入").click()
    expect(secretary.locator("table")).to_contain_text("applied")
    assert len(server_events(live_server, "test-f%")) == 2
    # The secretary sees the reports, photos included.
    secretary.goto(live_server.url + "/events")
    secretary.get_by_role("link", name="test-f 第1条").click()
    image = secretary.locator(".gallery img").first
    expect(image).to_be_visible()
    assert secretary.evaluate("(img) => img.naturalWidth", image.element_handle()) == 320
    office.close()

    # The phone still holds both; when it syncs, the server answers "duplicate": nothing doubles.
    restore_network(context)
    page.goto(live_server.url + "/reports")
    wait_for_outbox(page, lambda states: states == [],
                    poke=lambda: page.get_by_role("button", name="立即同步").click())
    assert len(server_events(live_server, "test-f%")) == 2
    context.close()


LAYOUT = """() => {
  const box = (sel) => document.querySelector(sel)?.getBoundingClientRect() || null;
  const targets = 'a, button, select, input:not([type=checkbox]):not([type=radio]), textarea';
  const small = [...document.querySelectorAll(targets)].filter((e) => {
    const r = e.getBoundingClientRect();
    const shown = r.width > 1 && r.height > 1 && getComputedStyle(e).display !== 'inline';
    return shown && (r.height < 44 || r.width < 44);
  }).map((e) => `${e.tagName} ${(e.textContent || e.name || '').trim().slice(0, 16)}`);
  return { width: document.documentElement.scrollWidth, bar: box('#sync-bar')?.height,
           brand: box('.brand')?.height, photo: box('label[for=photo_files]')?.bottom, small };
}"""


def test_phone_pages_fit_one_screen_width_with_44px_targets(browser, live_server):
    """At 360×640: no page scrolls sideways, the status bar stays on one line, every tap target
    is at least 44 px, and the quick report's photo button is above the bottom bar."""
    for username, urls in (("worker", ["/", "/report", "/reports", "/patrol", "/tasks", "/duties", "/me"]),
                           ("rider", ["/", "/report", "/tasks"]), ("dept", ["/", "/events"])):
        context = browser.new_context(**PHONE)
        page = context.new_page()
        sign_in(page, live_server.url, username)
        for url in urls:
            page.goto(live_server.url + url)
            layout = page.evaluate(LAYOUT)
            where = f"{username} {url}"
            assert layout["width"] <= 360, where
            assert layout["bar"] is None or layout["bar"] < 60, (where, layout["bar"])
            assert layout["brand"] >= 44, where
            assert not layout["small"], (where, layout["small"])
            if url == "/report":
                assert layout["photo"] < 640 - 60, where  # above the bottom navigation
        context.close()


def test_a_fixed_field_loses_its_error_at_once(browser, live_server, tmp_path):
    """随手拍: a field fixed after a refused save kept its old error until the next save."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, "worker")
    page.goto(live_server.url + "/report")
    page.get_by_role("button", name="保存并上报").click()
    errors = {name: page.locator(f'[data-error-for="{name}"]')
              for name in ("category_id", "description", "photos")}
    for box in errors.values():
        expect(box).to_be_visible()
    page.get_by_label("情况描述").fill("路灯不亮")
    expect(errors["description"]).to_be_hidden()
    expect(errors["category_id"]).to_be_visible()
    page.locator("input[name=photo_files]").set_input_files(str(photo_file(tmp_path)))
    expect(errors["photos"]).to_be_hidden()
    context.close()


PUT_LOCAL = """(items) => new Promise((resolve, reject) => {
  const open = indexedDB.open('gridwalk');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const tx = db.transaction(['outbox', 'meta'], 'readwrite');
    const me = Number(document.body.dataset.userId);
    for (const item of items.outbox) tx.objectStore('outbox').put({ ...item, author_id: me });
    tx.objectStore('meta').put(items.patrol, `patrol:${me}`);
    tx.oncomplete = () => { db.close(); resolve(me); };
  };
})"""


def test_the_home_page_says_what_needs_the_worker_today(browser, live_server):
    """Today: the tasks the worker has not started (from the server), an unfinished patrol and
    every record that needs fixing, of any kind, with where to fix it and a discard that asks
    first (from the phone)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, "worker")
    today = page.locator(".today")
    expect(today.get_by_role("link", name="核查芙蓉街沿街商铺灭火器")).to_be_visible()
    page.evaluate(PUT_LOCAL, {
        "patrol": {"id": "p1", "started_at": "2026-12-01T00:00:00Z", "gap": None},
        "outbox": [
            {"id": "m-fix-1", "kind": "registry.edit", "record_id": "r1", "state": "needs_fix",
             "error": "门牌号不存在", "created_at": "2026-12-01T01:00:00Z", "data": {"fields": {}}},
            {"id": "m-fix-2", "kind": "patrol.chunk", "record_id": "p1", "state": "needs_fix",
             "error": "巡查已结束", "created_at": "2026-12-01T01:05:00Z", "data": {}}]})
    page.reload()
    local = page.locator("#today-local")
    expect(local.get_by_role("link", name="巡查还没有结束：继续巡查")).to_have_attribute("href", "/patrol")
    edit = local.locator("li").filter(has_text="门牌号不存在")
    expect(edit.get_by_role("link", name="去修改")).to_have_attribute("href", "/registry/app#fix/m-fix-1")
    chunk = local.locator("li").filter(has_text="巡查已结束")
    expect(chunk.get_by_role("link", name="去修改")).to_have_count(0)  # only discarded
    chunk.get_by_role("button", name="放弃这条").click()
    expect(chunk.get_by_role("button", name="确定放弃？不会再发送")).to_be_visible()
    assert outbox_states(page) == ["needs_fix", "needs_fix"]  # asked, not yet gone
    chunk.get_by_role("button", name="确定放弃？不会再发送").click()
    expect(local.locator("li").filter(has_text="巡查已结束")).to_have_count(0)
    assert outbox_states(page) == ["needs_fix"]
    context.close()


def test_z_new_version_is_offered_and_taken_on_reload(browser, live_server):
    """Runs last in this file: it redeploys the shared server (same port and database)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, "worker")
    wait_until_offline_ready(page)
    before = page.evaluate("caches.keys()")
    live_server.restart(GRIDWALK_BUILD="next-release")
    page.goto(live_server.url + "/reports")
    bar = page.locator("#update-bar")
    expect(bar).to_be_visible(timeout=20000)
    assert "新版本已就绪" in bar.inner_text()
    assert outbox_states(page) == []
    with page.expect_event("load"):
        bar.get_by_role("button", name="重新加载").click()
    page.wait_for_function("""async () => {
        const keys = await caches.keys();
        return keys.filter((k) => k.startsWith('gridwalk-static-')).length === 1;
    }""")
    after = page.evaluate("caches.keys()")
    static_before = [k for k in before if k.startswith("gridwalk-static-")]
    static_after = [k for k in after if k.startswith("gridwalk-static-")]
    assert static_before != static_after and len(static_after) == 1
    expect(page.locator("#update-bar")).to_be_hidden()
    context.close()


def test_a_phone_set_to_another_zone_shows_the_districts_time(live_server, browser):
    """Times the phone writes itself (the last sync, a report in its list) are in the district's
    zone, as the server's pages show them, not in whatever zone the phone is set to."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    context = browser.new_context(**{**PHONE, "timezone_id": "America/New_York"})
    page = context.new_page()
    sign_in(page, live_server.url, "worker")
    last = page.locator("#sync-bar [data-sync=last]")
    expect(last).to_contain_text("上次同步")
    now = datetime.now(UTC)
    shown = {(now + timedelta(minutes=d)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
             for d in (-1, 0, 1)}
    assert any(hhmm in last.inner_text() for hhmm in shown), (last.inner_text(), shown)
    assert page.evaluate("new Date().getTimezoneOffset()") in (240, 300)  # the phone is in New York
    context.close()

"""A patrol walked in Chromium with simulated GPS, offline: bad fixes are dropped, a hidden page
leaves a gap, a check-in is made, and the server ends up with the right trace and coverage."""
import sqlite3
import time

from playwright.sync_api import expect

from tests.pwa import (
    PHONE,
    cut_network,
    photo_file,
    restore_network,
    set_gps,
    sign_in,
    wait_for_outbox,
    wait_until_offline_ready,
)

# Inside 芙蓉街社区第1网格: 15 fixes north, then 8 east, about 14 m apart.
ROUTE = [(117.0090, 36.6610 + i * 0.000126) for i in range(15)] + \
        [(117.0090 + i * 0.000157, 36.6610 + 14 * 0.000126) for i in range(1, 9)]




def step(page, seconds=10):
    page.clock.run_for(seconds * 1000)
    time.sleep(0.15)  # let the position callback run


def set_visibility(page, state):
    page.evaluate("""(state) => {
        Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
    }""", state)


def test_offline_patrol_with_filtering_gap_and_check_in(browser, live_server):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, "worker")
    wait_until_offline_ready(page)
    cut_network(context)
    page.clock.install()  # the walk takes minutes of page time and seconds of test time
    page.goto(live_server.url + "/patrol")
    set_gps(context, *ROUTE[0])
    page.get_by_role("button", name="开始巡查").click()
    expect(page.get_by_role("button", name="结束巡查")).to_be_visible()
    for n, (lon, lat) in enumerate(ROUTE[1:], start=1):
        step(page)  # ten seconds, 14 m: a walk
        set_gps(context, lon, lat)
        if n == 5:
            step(page, 2)
            set_gps(context, lon + 0.0001, lat, accuracy=300)  # too vague: dropped
            step(page, 2)
            set_gps(context, lon + 0.05, lat)  # 4 km in two seconds: a glitch, dropped
            step(page, 2)
            set_gps(context, lon, lat)
        if n == 10:
            set_visibility(page, "hidden")  # the screen goes off for a minute
            step(page, 60)
            set_visibility(page, "visible")
        if n == 15:
            page.get_by_label("打卡备注（可选）").fill("芙蓉街口")
            page.get_by_role("button", name="在这里打卡").click()
            expect(page.locator("[data-checkin-status]")).to_contain_text("✓")
    step(page)
    expect(page.locator("[data-stat=points]")).to_have_text(str(len(ROUTE)))
    page.get_by_role("button", name="结束巡查").click()
    summary = page.locator("[data-summary]")
    expect(summary).to_be_visible()
    assert summary.locator("[data-sum=points]").inner_text() == str(len(ROUTE))
    assert summary.locator("[data-sum=gaps]").inner_text() == "1"
    assert summary.locator("[data-sum=checkins]").inner_text() == "1"
    # The worker's own trace on a map of the grid: every kept point, the check-in, the outline.
    trace_map = summary.get_by_role("img", name="本次巡查轨迹：网格边界、走过的路线和打卡点")
    assert trace_map.locator("polyline").get_attribute("data-points") == str(len(ROUTE))
    expect(trace_map.locator("circle")).to_have_count(1)
    expect(trace_map.locator("polygon")).to_have_count(1)
    box = trace_map.bounding_box()
    assert box["width"] <= 360 and box["height"] > 100
    phone_coverage = float(summary.locator("[data-sum=coverage]").inner_text().rstrip("%"))

    with sqlite3.connect(live_server.db_path) as conn:
        assert conn.execute("SELECT count(*) FROM patrol WHERE point_count > 0").fetchone()[0] == 0
    restore_network(context)
    wait_for_outbox(page, lambda states: states == [],
                    poke=lambda: page.get_by_role("button", name="立即同步").click())
    with sqlite3.connect(live_server.db_path) as conn:
        patrol_id, points, distance, gaps, coverage, flags, status = conn.execute(
            "SELECT id, point_count, distance_m, gap_count, coverage_pct, flags, status FROM patrol "
            "ORDER BY started_at DESC LIMIT 1").fetchone()
        checkins = conn.execute("SELECT note FROM patrol_checkin WHERE patrol_id = ?",
                                (patrol_id,)).fetchall()
    assert status == "closed" and points == len(ROUTE)
    assert 280 < distance < 330  # 14 × 14 m north + 8 × 14 m east ≈ 306 m; no 4 km glitch
    assert gaps == 1 and flags == "[]"
    assert checkins == [("芙蓉街口",)]
    assert coverage > 3 and abs(coverage - phone_coverage) < 5
    # The secretary sees it on the day view and the map.
    office = browser.new_context(viewport={"width": 1280, "height": 800})
    secretary = office.new_page()
    sign_in(secretary, live_server.url, "secretary")
    secretary.goto(f"{live_server.url}/patrols/{patrol_id}")
    expect(secretary.locator("svg.trace-map polyline")).to_have_count(1)
    expect(secretary.locator("svg.trace-map circle")).to_have_count(1)
    office.close()
    context.close()


def test_a_patrol_goes_on_across_pages_and_never_twice(browser, live_server, tmp_path):
    """Leaving the patrol page for a report keeps the patrol: every page shows it running, the
    time away becomes a gap, and 开始巡查 stays hidden while it is unfinished (the hidden
    attribute lost to .btn.block before). The summary speaks Chinese units."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, "worker")
    wait_until_offline_ready(page)
    page.goto(live_server.url + "/patrol")
    set_gps(context, *ROUTE[0])
    page.get_by_role("button", name="开始巡查").click()
    expect(page.locator("[data-stat=points]")).to_have_text("1")
    time.sleep(5.5)  # one heartbeat
    page.goto(live_server.url + "/report")
    bar = page.locator("#patrol-bar")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("巡查进行中")
    bar.click()
    expect(page.get_by_role("button", name="继续巡查")).to_be_visible()
    expect(page.get_by_role("button", name="开始巡查")).to_be_hidden()
    page.get_by_role("button", name="继续巡查").click()
    expect(page.locator("[data-stat=gaps]")).to_have_text("1")
    expect(page.locator("#patrol-bar")).to_have_count(0)  # not on the patrol page itself
    # A check-in with a photo: the photo goes up before the check-in (it was kept as photo_id,
    # which the engine did not upload, and the check-in was refused for ever).
    page.get_by_label("照片（可选）").set_input_files(str(photo_file(tmp_path)))
    page.get_by_label("打卡备注（可选）").fill("test-photo 打卡")
    page.get_by_role("button", name="在这里打卡").click()
    expect(page.locator("[data-checkin-status]")).to_contain_text("✓")
    page.get_by_role("button", name="结束巡查").click()
    summary = page.locator("[data-summary]")
    expect(summary.locator("[data-sum=duration]")).to_contain_text("分钟")
    expect(summary.locator("[data-sum=distance]")).to_contain_text("公里")
    assert summary.locator("[data-sum=gaps]").inner_text() == "1"
    page.goto(live_server.url + "/")
    expect(page.locator("#patrol-bar")).to_be_hidden()
    wait_for_outbox(page, lambda states: states == [],
                    poke=lambda: page.get_by_role("button", name="立即同步").click())
    with sqlite3.connect(live_server.db_path) as conn:
        photo = conn.execute("SELECT photo_id FROM patrol_checkin WHERE note = 'test-photo 打卡'").fetchone()
        assert photo and photo[0]
        assert conn.execute("SELECT count(*) FROM media WHERE id = ?", (photo[0],)).fetchone()[0] == 1
    context.close()

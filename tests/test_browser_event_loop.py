"""The closed loop in the browser: a worker's report goes up to the street, out to a department,
which takes it and reports it handled with a photo; the worker checks it on site, offline."""
import sqlite3

from playwright.sync_api import expect

from tests.pwa import (
    PHONE,
    act,
    cut_network,
    make_report,
    outbox_states,
    photo_file,
    restore_network,
    sign_in,
    sync,
    wait_until_offline_ready,
)


def state_of(live_server, event_id):
    with sqlite3.connect(live_server.db_path) as conn:
        return conn.execute("SELECT state, level, close_type, rework_count FROM event WHERE id = ?",
                            (event_id,)).fetchone()


def test_report_escalated_dispatched_handled_and_checked_offline(browser, live_server, tmp_path):
    phone_ctx = browser.new_context(**PHONE)
    phone = phone_ctx.new_page()
    sign_in(phone, live_server.url, "worker")
    wait_until_offline_ready(phone)
    make_report(phone, live_server.url, "test-loop 井盖缺失", photo_file(tmp_path),
                category="公共设施 / 井盖缺损")
    sync(phone)
    with sqlite3.connect(live_server.db_path) as conn:
        (event_id,) = conn.execute("SELECT id FROM event WHERE description = 'test-loop 井盖缺失'").fetchone()

    office = browser.new_context(viewport={"width": 1280, "height": 800})
    desk = office.new_page()
    sign_in(desk, live_server.url, "secretary")
    desk.goto(live_server.url + "/events")
    expect(desk.get_by_role("link", name="test-loop 井盖缺失")).to_be_visible()  # in the inbox
    act(desk, live_server.url, event_id, "上报上级")
    office.clear_cookies()
    sign_in(desk, live_server.url, "street")
    act(desk, live_server.url, event_id, "立案")
    act(desk, live_server.url, event_id, "派遣部门")
    assert state_of(live_server, event_id)[:2] == ("dispatched", "street")
    office.clear_cookies()
    sign_in(desk, live_server.url, "dept")
    desk.goto(live_server.url + "/events")
    expect(desk.get_by_role("link", name="test-loop 井盖缺失")).to_be_visible()
    act(desk, live_server.url, event_id, "接收")
    act(desk, live_server.url, event_id, "反馈已处置", photo=photo_file(tmp_path, "fixed.jpg"))
    assert state_of(live_server, event_id)[0] == "handled"
    office.close()

    # The worker checks on site with no signal.
    phone.goto(live_server.url + "/reports")
    phone.get_by_role("button", name="立即同步").click()
    item = phone.locator("#report-list li").filter(has_text="test-loop 井盖缺失")
    expect(item.get_by_text("待我核查")).to_be_visible(timeout=15000)
    # The department's photo is there to compare with, offline too; passing asks once more.
    expect(item).to_contain_text("已处置")
    photo = item.get_by_role("img", name="处置后照片")
    expect(photo).to_be_visible()
    cut_network(phone_ctx)
    phone.reload()
    item = phone.locator("#report-list li").filter(has_text="test-loop 井盖缺失")
    photo = item.get_by_role("img", name="处置后照片")
    expect(photo).to_be_visible()
    phone.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    item.get_by_role("button", name="核查通过").click()
    assert outbox_states(phone) == []  # not yet: it asks to confirm
    item.get_by_role("button", name="确认核查通过并结案").click()
    expect(item.get_by_text("核查结果等待发送")).to_be_visible()
    assert outbox_states(phone) == ["pending"]
    assert state_of(live_server, event_id)[0] == "handled"
    restore_network(phone_ctx)
    sync(phone)
    state, level, close_type, rework = state_of(live_server, event_id)
    assert (state, close_type, rework) == ("closed", "on_time", 0)
    phone_ctx.close()


def test_a_worker_deals_with_a_report_on_the_spot_offline(browser, live_server, tmp_path):
    """自行处置 on the phone, offline, where the category allows it: a photo of the result is
    required, and the event goes to the secretary's audit once synced."""
    phone_ctx = browser.new_context(**PHONE)
    phone = phone_ctx.new_page()
    sign_in(phone, live_server.url, "worker")
    wait_until_offline_ready(phone)
    make_report(phone, live_server.url, "test-self 纸箱堆放", photo_file(tmp_path),
                category="市容环境 / 暴露垃圾")
    sync(phone)
    item = phone.locator("#report-list li").filter(has_text="test-self 纸箱堆放")
    go = item.get_by_role("button", name="自行处置")
    expect(go).to_be_visible(timeout=15000)
    cut_network(phone_ctx)
    go.click()
    expect(item.get_by_text("至少需要 1 张照片")).to_be_visible()
    assert outbox_states(phone) == []
    item.get_by_label("处置后照片").set_input_files(str(photo_file(tmp_path, "done.jpg")))
    item.get_by_label("处置情况（可选）").fill("已搬走")
    go.click()
    expect(phone.locator("#sync-bar")).to_contain_text("待发送 1 条")
    restore_network(phone_ctx)
    sync(phone)
    with sqlite3.connect(live_server.db_path) as conn:
        (state,) = conn.execute("SELECT state FROM event WHERE description = 'test-self 纸箱堆放'").fetchone()
    assert state == "self_resolved"
    phone_ctx.close()

"""The duplicate hint offline (issue 16, item 1): the grid leader's phone, with no network, shows
the open event of the same major category within 50 m from its own pulled events; "same problem"
saves the report as a supporting one, which after sync joins the event and opens no case."""
import sqlite3

from playwright.sync_api import expect

from tests.pwa import (
    PHONE,
    cut_network,
    make_report,
    photo_file,
    restore_network,
    server_events,
    sign_in,
    sync,
    wait_until_offline_ready,
)


def supports(live_server, event_id):
    with sqlite3.connect(live_server.db_path) as conn:
        return conn.execute("SELECT note, json_array_length(photos) FROM event_support WHERE event_id = ?",
                            (event_id,)).fetchall()


def test_the_leader_is_shown_the_open_twin_offline_and_adds_to_it(browser, live_server, tmp_path):
    worker_phone = browser.new_context(**PHONE)
    page = worker_phone.new_page()
    sign_in(page, live_server.url, "worker")
    wait_until_offline_ready(page)
    make_report(page, live_server.url, "查重测试：路口垃圾", photo_file(tmp_path))
    sync(page)
    original = server_events(live_server, "查重测试：路口垃圾")[0][0]
    worker_phone.close()

    leader_phone = browser.new_context(**PHONE)
    page = leader_phone.new_page()
    sign_in(page, live_server.url, "leader")
    wait_until_offline_ready(page)
    sync(page)  # the grid's open events are pulled
    cut_network(leader_phone)
    page.goto(live_server.url + "/report")
    page.get_by_text("已定位").wait_for()
    page.get_by_label("类别").select_option(label="市容环境 / 暴露垃圾")
    hint = page.locator("#duplicate-hint")
    expect(hint).to_be_visible()
    twin = hint.locator(f"[data-event='{original}']")
    expect(twin).to_contain_text("相距 0 米")
    expect(hint).not_to_contain_text("查重测试")  # the category and distance, not the description
    twin.get_by_role("button", name="同一问题").click()
    expect(twin.get_by_role("button", name="已选：同一问题")).to_be_visible()
    page.get_by_label("情况描述").fill("同一处垃圾，又多了两袋")
    page.locator("#photo_files").set_input_files(photo_file(tmp_path, "b.jpg"))
    page.locator("#photo-count").filter(has_text="1 / 9").wait_for()
    page.get_by_role("button", name="保存并上报").click()
    page.wait_for_url("**/reports")
    restore_network(leader_phone)
    sync(page)
    assert supports(live_server, original) == [("同一处垃圾，又多了两袋", 1)]
    assert not server_events(live_server, "同一处垃圾%")  # no new case
    leader_phone.close()

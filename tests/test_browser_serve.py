"""双报到 on a party member's phone with no network: claim a small wish and log the service with
a photo; synced later, the secretary confirms it and the member's hours count it."""
import sqlite3
import time

from playwright.sync_api import expect

from tests.pwa import PHONE, cut_network, photo_file, restore_network, sign_in, sync, wait_for_outbox

KEPT = """async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    if (!reg || !reg.active || !navigator.serviceWorker.controller) return false;
    const cache = await caches.open('gridwalk-pages');
    return !!(await cache.match('/serve')) && !!(await cache.match('/'));
}"""


def claims_of(live_server, username):
    with sqlite3.connect(live_server.db_path) as conn:
        return conn.execute(
            "SELECT c.id, c.state, c.hours, c.note, json_array_length(c.photos), n.title "
            "FROM service_claim c JOIN party_member m ON m.id = c.member_id JOIN user u ON u.id = m.user_id "
            "JOIN service_need n ON n.id = c.need_id WHERE u.username = ? AND n.kind = 'wish'",
            (username,)).fetchall()


def test_member_claims_and_logs_a_wish_offline(browser, live_server, tmp_path):
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    sign_in(page, live_server.url, "member")
    expect(page.get_by_role("heading", name="社区需求")).to_be_visible()
    deadline = time.monotonic() + 20
    while not page.evaluate(KEPT):
        assert time.monotonic() < deadline, "the member's pages were never kept for offline use"
        time.sleep(0.2)

    cut_network(phone)
    page.goto(live_server.url + "/serve")
    wish = page.locator("#serve-needs li").filter(has_text="为一位独居老人送一台收音机")
    expect(wish).to_contain_text("剩余 1 个名额")
    wish.get_by_role("button", name="认领").click()
    expect(wish.get_by_role("button", name="已认领")).to_be_disabled()
    claim = page.locator("#serve-claims li").filter(has_text="为一位独居老人送一台收音机")
    expect(claim).to_contain_text("已认领")
    claim.get_by_text("记录服务").click()
    claim.get_by_role("button", name="保存服务记录").click()
    expect(claim.get_by_text("服务时长为 0.25–24 小时")).to_be_visible()  # nothing saved yet
    claim.get_by_label("服务时长（小时）").fill("1.5")
    claim.get_by_label("服务内容").fill("把收音机送到老人家中，教会了使用")
    claim.get_by_label("现场照片（可选）").set_input_files(photo_file(tmp_path))
    claim.get_by_role("button", name="保存服务记录").click()
    expect(claim).to_contain_text("已记录，待确认")
    expect(claim).to_contain_text("等待发送 2")
    assert wait_for_outbox(page, lambda s: len(s) == 2) == ["pending", "pending"]
    assert claims_of(live_server, "member") == []

    restore_network(phone)
    sync(page)
    rows = claims_of(live_server, "member")
    assert [r[1:] for r in rows] == [
        ("logged", 1.5, "把收音机送到老人家中，教会了使用", 1, "为一位独居老人送一台收音机")]

    laptop = browser.new_context(locale="zh-CN")
    desk = laptop.new_page()
    sign_in(desk, live_server.url, "secretary")
    desk.goto(live_server.url + "/volunteers")
    waiting = desk.locator("li").filter(has_text="把收音机送到老人家中")
    expect(waiting.locator("img")).to_have_count(1)
    waiting.get_by_role("button", name="确认").click()
    expect(desk.get_by_text("已确认")).to_be_visible()
    assert claims_of(live_server, "member")[0][1] == "confirmed"
    page.goto(live_server.url + "/serve")
    mine = page.locator("#serve-claims li").filter(has_text="为一位独居老人送一台收音机")
    expect(mine).to_contain_text("已确认")
    laptop.close()
    phone.close()

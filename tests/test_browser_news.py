"""The stage clock on the phone (issue 16, item 2), offline; and the reporter told (item 7): a
worker's phone shows, at its next sync, that a report of theirs was refused and why, and that
another was dispatched and to whom; the news stays until read, offline too."""
from playwright.sync_api import expect

from tests.pwa import (
    PHONE,
    act,
    cut_network,
    make_report,
    photo_file,
    restore_network,
    server_events,
    sign_in,
    sync,
    wait_until_offline_ready,
)


def test_the_worker_is_told_of_a_refusal_and_a_dispatch(browser, live_server, tmp_path):
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    sign_in(page, live_server.url, "worker")
    wait_until_offline_ready(page)
    make_report(page, live_server.url, "消息测试：广告牌乱贴", photo_file(tmp_path))
    make_report(page, live_server.url, "消息测试：垃圾堆积", photo_file(tmp_path, "b.jpg"))
    sync(page)
    # The stage clock runs on the phone from the pulled deadline, offline too (item 2).
    cut_network(phone)
    page.goto(live_server.url + "/reports")
    clock = page.locator("#report-list li").filter(has_text="消息测试：垃圾堆积")
    expect(clock).to_contain_text("立案时限")
    restore_network(phone)
    refused = server_events(live_server, "消息测试：广告牌乱贴")[0][0]
    piled = server_events(live_server, "消息测试：垃圾堆积")[0][0]

    laptop = browser.new_context(locale="zh-CN")
    desk = laptop.new_page()
    sign_in(desk, live_server.url, "secretary")
    act(desk, live_server.url, refused, "不予立案", 说明="属于物业管理范围，已转告物业")
    act(desk, live_server.url, piled, "上报上级")
    office = browser.new_context(locale="zh-CN")
    street = office.new_page()
    sign_in(street, live_server.url, "street")
    act(street, live_server.url, piled, "立案")
    act(street, live_server.url, piled, "派遣部门")
    office.close()

    page.goto(live_server.url + "/reports")
    page.get_by_role("button", name="立即同步").click()
    news = page.locator("#report-news")
    expect(news.locator("[data-news=refused]").filter(has_text="消息测试：广告牌乱贴")).to_contain_text(
        "不予立案：属于物业管理范围，已转告物业")
    expect(news.locator("[data-news=dispatched]").filter(has_text="消息测试：垃圾堆积")).to_contain_text(
        "已派遣给 区城市管理局")
    # Kept on the phone: offline, the news is still there until read.
    cut_network(phone)
    page.reload()
    # (The server is shared with the other browser tests: only this test's reports are counted.)
    expect(page.locator("#report-news [data-news]").filter(has_text="消息测试")).to_have_count(2)
    page.get_by_role("button", name="知道了").click()
    expect(page.locator("#report-news")).to_be_hidden()
    laptop.close()
    phone.close()

"""The enterprise service officer's phone with no network: a need recorded for an enterprise and
the month's economic survey answered for another; synced later, the need is a case on the
closed loop and the answer is stored once."""
import json
import sqlite3
import time

from playwright.sync_api import expect

from tests.pwa import PHONE, cut_network, restore_network, sign_in, sync, wait_for_outbox

KEPT = """async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    if (!reg || !reg.active || !navigator.serviceWorker.controller) return false;
    const cache = await caches.open('gridwalk-pages');
    return !!(await cache.match('/enterprise'));
}"""


def stored(live_server):
    with sqlite3.connect(live_server.db_path) as conn:
        needs = conn.execute(
            "SELECT e.state, e.source, c.code, r.name, e.description FROM event e "
            "JOIN event_category c ON c.id = e.category_id JOIN registry_record r ON r.id = e.subject_id "
            "WHERE e.description LIKE '%电梯%'").fetchall()
        answers = conn.execute(
            "SELECT r.name, a.answers FROM survey_answer a JOIN registry_record r ON r.id = a.enterprise_id "
            "WHERE r.name = '济南泉城餐饮管理有限公司' "
            "AND a.period = (SELECT max(period) FROM survey_answer)").fetchall()  # this month's
    return needs, answers


def test_officer_records_a_need_and_a_survey_answer_offline(browser, live_server):
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    sign_in(page, live_server.url, "officer")
    deadline = time.monotonic() + 20
    while not page.evaluate(KEPT):
        assert time.monotonic() < deadline, "the officer's page was never kept for offline use"
        time.sleep(0.2)

    cut_network(phone)
    page.goto(live_server.url + "/enterprise")
    firm = page.locator("#ent-list li.card").filter(has_text="济南恒泰信息技术有限公司")
    firm.get_by_text("记录诉求").click()
    firm.get_by_label("诉求类别").select_option(label="水电气暖保障")
    firm.get_by_role("button", name="保存").click()
    expect(firm.get_by_text("请写明企业的诉求（最多 2000 字）")).to_be_visible()
    firm.get_by_label("企业的诉求").fill("写字楼电梯频繁故障，员工上下班受影响")
    firm.get_by_role("button", name="保存").click()
    expect(firm).to_contain_text("在办诉求 1 件")

    diner = page.locator("#ent-list li.card").filter(has_text="济南泉城餐饮管理有限公司")
    diner.get_by_text("经济调查").click()
    diner.get_by_role("button", name="保存").click()
    expect(diner.get_by_text("此题必答").first).to_be_visible()  # required questions left empty
    diner.get_by_label("本月营业收入（万元）").fill("86")
    diner.get_by_label("月末从业人数").fill("21")
    diner.get_by_label("一般").check()
    diner.get_by_label("用工").check()
    diner.get_by_role("button", name="保存").click()
    expect(diner).to_contain_text("本月已调查")
    expect(diner.get_by_text("经济调查")).to_have_count(0)  # answered: no second form this month
    assert wait_for_outbox(page, lambda s: len(s) == 2) == ["pending", "pending"]
    assert stored(live_server) == ([], [])

    restore_network(phone)
    sync(page)
    needs, answers = stored(live_server)
    assert needs == [("reported", "enterprise", "QY07", "济南恒泰信息技术有限公司",
                      "写字楼电梯频繁故障，员工上下班受影响")]
    assert len(answers) == 1
    assert json.loads(answers[0][1]) == {"q1": 86, "q2": 21, "q3": "一般", "q4": ["用工"]}
    phone.close()

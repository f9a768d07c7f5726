"""A rider's survey and publicity task, done on a phone with no network, synced later; the
secretary sets them up in the browser and sees the results."""
import json
import sqlite3
import time

from playwright.sync_api import expect

from tests.pwa import PHONE, cut_network, outbox_states, photo_file, restore_network, sign_in, wait_for_outbox

TASKS_KEPT = """async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    if (!reg || !reg.active || !navigator.serviceWorker.controller) return false;
    const cache = await caches.open('gridwalk-pages');
    const page = await cache.match('/tasks');
    return !!page && (await page.text()).includes('小区停车意见调查');
}"""


def reports_of(live_server, username):
    with sqlite3.connect(live_server.db_path) as conn:
        return conn.execute(
            "SELECT t.kind, r.households, r.answers, r.minutes, json_array_length(r.photos), g.code "
            "FROM task_report r JOIN task t ON t.id = r.task_id JOIN user u ON u.id = r.user_id "
            "JOIN grid g ON g.id = r.grid_id WHERE u.username = ? ORDER BY t.kind", (username,)).fetchall()


FRJ1, FRJ2 = "芙蓉街社区第1网格（LX-QCL-FRJ-01）", "芙蓉街社区第2网格（LX-QCL-FRJ-02）"


def assign(page, base_url, kind, title, fields, choices=(), checks=(), grids=(FRJ2,)):
    page.goto(f"{base_url}/tasks/new?kind={kind}")
    page.get_by_label("标题").fill(title)
    page.get_by_label("依据的职责事项（准入清单）").select_option(label=fields.pop("item"))
    page.get_by_label("接收的网格或人员").select_option(label=list(grids))
    for selector, value in fields.items():
        by_id = selector.startswith("#")
        (page.locator(selector) if by_id else page.get_by_label(selector, exact=True)).fill(value)
    for selector, value in choices:
        page.locator(selector).select_option(value)
    for selector in checks:
        page.locator(selector).check()
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_text("任务已交办")).to_be_visible()
    return page.url


def test_rider_answers_a_survey_and_records_publicity_offline(browser, live_server, tmp_path):
    laptop = browser.new_context(locale="zh-CN")
    secretary = laptop.new_page()
    sign_in(secretary, live_server.url, "secretary")
    survey_url = assign(secretary, live_server.url, "survey", "小区停车意见调查", {
        "item": "12.1 民意收集 · 民意调查入户", "#q1-label": "您是否支持划线停车",
        "#q1-options": "支持\n反对", "#q2-label": "家里有几辆车"},
        choices=[("#q1-type", "single"), ("#q2-type", "number")], checks=["#q1-required"],
        grids=(FRJ1, FRJ2))
    assert "/tasks/" in survey_url
    assign(secretary, live_server.url, "publicity", "燃气安全入户宣传", {
        "item": "11.1 政策宣传 · 政策入户宣传",
        "要求或宣传材料": "燃气泄漏时先关阀门、开窗通风，不要开关电器",
        "每个接收对象的目标数（份数或户数）": "20"})

    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    sign_in(page, live_server.url, "rider")
    expect(page.get_by_role("link", name="我的任务")).to_be_visible()
    deadline = time.monotonic() + 20
    while not page.evaluate(TASKS_KEPT):
        assert time.monotonic() < deadline, "the tasks page was never kept for offline use"
        time.sleep(0.2)

    cut_network(phone)
    page.goto(live_server.url + "/tasks")
    survey = page.locator("article.task").filter(has_text="小区停车意见调查")
    # A task's form is built only when it is opened: the list stays a short page.
    assert page.locator("article.task").count() >= 2
    expect(page.locator("article.task form")).to_have_count(0)
    survey.get_by_text("填写记录").click()
    expect(page.locator("article.task form")).to_have_count(1)
    # The rider works two grids: the record says for which one.
    survey.get_by_label("在哪个网格").select_option(label="芙蓉街社区第2网格")
    # The required question left empty: a clear message, nothing saved.
    survey.get_by_role("button", name="保存记录").click()
    expect(survey.get_by_text("此题必答")).to_be_visible()
    survey.get_by_label("支持", exact=True).check()
    survey.get_by_label("2. 家里有几辆车").fill("2")
    survey.get_by_label("用时（分钟，计入志愿服务时长）").fill("15")
    survey.get_by_role("button", name="保存记录").click()
    expect(survey.get_by_text("已保存，等待发送")).to_be_visible()
    expect(survey.get_by_text("待发送 1 份")).to_be_visible()

    publicity = page.locator("article.task").filter(has_text="燃气安全入户宣传")
    expect(publicity.get_by_text("燃气泄漏时先关阀门")).to_be_visible()
    publicity.get_by_text("填写记录").click()
    publicity.get_by_label("本次宣传到达户数").fill("8")
    publicity.get_by_role("button", name="保存记录").click()
    expect(publicity.get_by_text("宣传记录需要 1 张现场照片")).to_be_visible()
    publicity.get_by_label("现场照片").set_input_files(photo_file(tmp_path))
    publicity.get_by_role("button", name="保存记录").click()
    expect(publicity.get_by_text("已保存，等待发送")).to_be_visible()
    assert sorted(wait_for_outbox(page, lambda s: len(s) == 2)) == ["pending", "pending"]
    assert reports_of(live_server, "rider") == []

    restore_network(phone)
    wait_for_outbox(page, lambda states: states == [],
                    poke=lambda: page.get_by_role("button", name="立即同步").click())
    rows = reports_of(live_server, "rider")
    assert [row[:2] + row[3:] for row in rows] == [
        ("publicity", 8, 0, 1, "LX-QCL-FRJ-02"), ("survey", 0, 15, 0, "LX-QCL-FRJ-02")]
    assert json.loads(rows[1][2]) == {"q1": "支持", "q2": 2}

    secretary.goto(survey_url)
    expect(secretary.get_by_text("支持：1")).to_be_visible()
    expect(secretary.get_by_text("反对：0")).to_be_visible()
    # The rider's home counts the volunteer time.
    page.goto(live_server.url + "/")
    expect(page.locator("[data-hours-month]")).to_have_text("0.2")
    laptop.close()
    phone.close()


DUTIES_KEPT = """async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    if (!reg || !reg.active || !navigator.serviceWorker.controller) return false;
    const cache = await caches.open('gridwalk-pages');
    return !!(await cache.match('/duties')) && !!(await cache.match('/report'));
}"""


def test_my_duties_count_offline_work_at_once(browser, live_server, tmp_path):
    from tests.pwa import make_report

    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, "w-qcl-frj-03")
    deadline = time.monotonic() + 20
    while not page.evaluate(DUTIES_KEPT):
        assert time.monotonic() < deadline, "my duties were never kept for offline use"
        time.sleep(0.2)
    page.goto(live_server.url + "/duties")
    quick = page.locator("li[data-code='06.1']")
    city = page.locator("li[data-code='06.3']")
    safety = page.locator("li[data-code='06.2']")
    before = int(quick.locator("[data-shown]").text_content())
    expect(quick.locator("[data-local]")).to_be_hidden()

    cut_network(context)
    make_report(page, live_server.url, "duties 暴露垃圾", photo_file(tmp_path))  # 市容环境 / 暴露垃圾
    page.goto(live_server.url + "/duties")
    expect(quick.locator("[data-local]")).to_have_text("+1 待发送")
    expect(quick.locator("[data-shown]")).to_have_text(str(before + 1))
    expect(city.locator("[data-local]")).to_have_text("+1 待发送")  # a 市容环境 (SR) report
    expect(safety.locator("[data-local]")).to_be_hidden()  # not a safety (AQ) one

    restore_network(context)
    page.get_by_role("button", name="立即同步").click()
    # Sent: the page reloads with the server's count, and nothing waits any more.
    expect(quick.locator("[data-local]")).to_be_hidden(timeout=20000)
    expect(quick.locator("[data-shown]")).to_have_text(str(before + 1))
    context.close()


def test_a_report_for_a_task_ended_meanwhile_is_explained_and_kept_until_dropped(browser, live_server):
    laptop = browser.new_context(locale="zh-CN")
    secretary = laptop.new_page()
    sign_in(secretary, live_server.url, "secretary")
    task_url = assign(secretary, live_server.url, "task", "清点楼道堆物", {
        "item": "03.3 房屋与场所 · 九小场所安全检查"}, grids=(FRJ1,))
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    sign_in(page, live_server.url, "worker")
    deadline = time.monotonic() + 20
    kept = TASKS_KEPT.replace("小区停车意见调查", "清点楼道堆物")
    while not page.evaluate(kept):
        assert time.monotonic() < deadline, "the tasks page was never kept for offline use"
        time.sleep(0.2)
    cut_network(phone)
    page.goto(live_server.url + "/tasks")
    task = page.locator("article.task").filter(has_text="清点楼道堆物")
    task.get_by_text("填写记录").click()
    task.get_by_label("完成情况说明").fill("3 号楼楼道堆物已清")
    task.get_by_role("button", name="保存记录").click()
    expect(task.get_by_text("待发送 1 份")).to_be_visible()

    # Meanwhile the secretary ends the task.
    secretary.goto(task_url)
    secretary.get_by_role("button", name="结束任务").click()
    expect(secretary.get_by_text("任务已结束")).to_be_visible()

    restore_network(phone)
    page.get_by_role("button", name="立即同步").click()
    problems = page.locator("#task-problems")
    expect(problems.get_by_text("这项任务已结束，不再接收记录")).to_be_visible(timeout=20000)
    assert outbox_states(page) == ["needs_fix"]  # kept, not silently lost
    page.on("dialog", lambda dialog: dialog.accept())
    problems.get_by_role("button", name="删除这条记录").click()
    expect(problems).to_be_hidden()
    assert outbox_states(page) == []
    laptop.close()
    phone.close()

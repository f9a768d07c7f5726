"""帮办代办 on a worker's phone with no network: a request for a resident picked from the phone's
own registry, with their consent, moved through materials, submission (with a receipt photo)
and completion; synced later, it arrives once with every step."""
import sqlite3
import time

from playwright.sync_api import expect

from tests.pwa import PHONE, cut_network, photo_file, restore_network, sign_in, sync, wait_for_outbox

READY = """async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    if (!reg || !reg.active || !navigator.serviceWorker.controller) return false;
    const cache = await caches.open('gridwalk-pages');
    if (!(await cache.match('/assist'))) return false;
    const people = await new Promise((resolve) => {
      const open = indexedDB.open('gridwalk');
      open.onsuccess = () => {
        const all = open.result.transaction('records').objectStore('records').getAll();
        const person = (r) => r.type === 'record' && r.kind === 'person';
        all.onsuccess = () => resolve(all.result.filter(person).length);
      };
      open.onerror = () => resolve(0);
    });
    return people >= 5;
}"""


def requests_of(live_server):
    with sqlite3.connect(live_server.db_path) as conn:
        return conn.execute(
            "SELECT r.id, r.state, r.satisfaction, p.name, i.name, "
            "(SELECT group_concat(s.to_state, ',') FROM assist_step s WHERE s.request_id = r.id), "
            "(SELECT sum(json_array_length(s.photos)) FROM assist_step s WHERE s.request_id = r.id) "
            "FROM assist_request r JOIN registry_record p ON p.id = r.resident_id "
            "JOIN convenience_item i ON i.id = r.item_id WHERE i.name = '临时救助申请'").fetchall()


def test_worker_moves_a_request_for_a_resident_through_to_done_offline(browser, live_server, tmp_path):
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    sign_in(page, live_server.url, "worker")
    deadline = time.monotonic() + 30
    while not page.evaluate(READY):
        assert time.monotonic() < deadline, "the 帮办 page or the residents never reached the phone"
        time.sleep(0.3)

    cut_network(phone)
    page.goto(live_server.url + "/assist")
    expect(page.locator("#assist-list li.card")).to_have_count(4)  # the demo's requests
    expect(page.locator("#assist-list").get_by_text("赵秀英")).to_be_visible()  # named from the phone
    page.get_by_text("为居民新建代办").click()
    page.get_by_placeholder("姓名、拼音或地址").fill("孙建国")
    expect(page.get_by_label("选择居民").locator("option")).to_have_count(1)
    page.get_by_label("便民事项").select_option(label="临时救助申请")
    expect(page.locator("#assist-item-facts")).to_contain_text("困难情况说明")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text("代办需要居民本人同意")).to_be_visible()  # nothing saved without consent
    page.get_by_label("居民同意由我代为申请，并同意提供办理所需的信息").check()
    page.get_by_label("说明").first.fill("家中失火，申请临时救助")
    page.get_by_role("button", name="保存", exact=True).click()

    card = page.locator("#assist-list li.card").filter(has_text="临时救助申请")
    expect(card).to_contain_text("已受理")
    expect(card).to_contain_text("孙建国")
    card.get_by_role("button", name="材料已收齐").click()
    card.get_by_role("button", name="材料已收齐").last.click()  # the step form's button
    expect(card).to_contain_text("材料已收齐")
    card.get_by_role("button", name="已提交办理").click()
    card.get_by_label("回执照片（可选）").set_input_files(photo_file(tmp_path))
    card.locator("form").get_by_role("button", name="已提交办理").click()
    expect(card.locator(".badge").first).to_have_text("已提交办理")
    card.get_by_role("button", name="已办结").click()
    card.get_by_label("居民满意度").select_option("5")
    card.locator("form").get_by_role("button", name="已办结").click()
    expect(card.locator(".badge").first).to_have_text("已办结")
    expect(card).to_contain_text("等待发送 4")
    assert wait_for_outbox(page, lambda s: len(s) == 4) == ["pending"] * 4
    assert requests_of(live_server) == []

    restore_network(phone)
    sync(page)
    rows = requests_of(live_server)
    assert len(rows) == 1
    _id, state, satisfaction, resident, _item, steps, photos = rows[0]
    assert (state, satisfaction, resident, steps, photos) == (
        "done", 5, "孙建国", "accepted,materials,submitted,done", 1)
    # Online again, the list comes from the server: the request once, done.
    page.goto(live_server.url + "/assist")
    expect(page.locator("#assist-list li.card").filter(has_text="临时救助申请")).to_have_count(1)
    expect(page.locator("#assist-list li.card").filter(has_text="临时救助申请").locator(".badge").first
           ).to_have_text("已办结")
    phone.close()

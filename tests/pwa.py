"""Helpers for the offline browser tests: a worker's phone, a cut network, the outbox."""
import io
import sqlite3
import time

from PIL import Image
from playwright.sync_api import expect

from tests.browser import CHROMIUM, CHROMIUM_ARGS, sign_in  # noqa: F401  (re-exported)

# Inside 芙蓉街社区第1网格 of the demo district.
WORKER_SPOT = {"longitude": 117.0095, "latitude": 36.6625, "accuracy": 12}
PHONE = {"viewport": {"width": 360, "height": 640}, "service_workers": "allow",
         "geolocation": WORKER_SPOT, "permissions": ["geolocation"], "locale": "zh-CN"}


def photo_file(tmp_path, name="photo.jpg", size=(3000, 2000), color=(200, 120, 40)):
    path = tmp_path / name
    Image.new("RGB", size, color).save(path, "JPEG", quality=90)
    return str(path)


def persistent_phone(playwright, user_data_dir):
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir), executable_path=CHROMIUM, args=CHROMIUM_ARGS, **PHONE)


OFFLINE_READY = """async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    if (!reg || !reg.active || !navigator.serviceWorker.controller) return false;
    if (!(await caches.has('gridwalk-pages'))) return false;
    const cache = await caches.open('gridwalk-pages');
    return !!(await cache.match('/report')) && !!(await cache.match('/reports'));
}"""


def wait_until_offline_ready(page, timeout=20):
    """The service worker controls the page and holds the worker's pages."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(OFFLINE_READY):
            return
        time.sleep(0.2)
    raise AssertionError("the service worker never became ready for offline use")


def cut_network(context):
    """No network for the pages or the service worker's own fetches."""
    context.route("**/*", lambda route: route.abort("internetdisconnected"))
    context.set_offline(True)


def restore_network(context):
    context.unroute("**/*")
    context.set_offline(False)


OUTBOX_COUNT = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open('gridwalk');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const req = db.transaction('outbox').objectStore('outbox').getAll();
    req.onsuccess = () => { resolve(req.result.map((m) => m.state)); db.close(); };
  };
})"""


def outbox_states(page):
    return page.evaluate(OUTBOX_COUNT)


def wait_for_outbox(page, predicate, timeout=30, poke=None):
    deadline = time.monotonic() + timeout
    states = None
    while time.monotonic() < deadline:
        states = outbox_states(page)
        if predicate(states):
            return states
        if poke:
            poke()
        time.sleep(0.3)
    raise AssertionError(f"outbox never reached the expected state: {states}")


def make_report(page, base_url, description, photo, category="市容环境 / 暴露垃圾"):
    page.goto(base_url + "/report")
    page.get_by_text("已定位").wait_for()
    page.get_by_label("类别").select_option(label=category)
    page.get_by_label("情况描述").fill(description)
    page.locator("#photo_files").set_input_files(photo)
    page.locator("#photo-count").filter(has_text="1 / 9").wait_for()
    page.get_by_role("button", name="保存并上报").click()
    page.wait_for_url("**/reports")


def server_events(live_server, like):
    with sqlite3.connect(live_server.db_path) as conn:
        return conn.execute(
            "SELECT e.id, e.description, u.username, c.code, "
            "(SELECT count(*) FROM event_photo p WHERE p.event_id = e.id) "
            "FROM event e JOIN user u ON u.id = e.reporter_id "
            "JOIN event_category c ON c.id = e.category_id WHERE e.description LIKE ?",
            (like,)).fetchall()


def stored_photos(live_server, event_id):
    with sqlite3.connect(live_server.db_path) as conn:
        keys = [k for (k,) in conn.execute(
            "SELECT m.storage_key FROM media m JOIN event_photo p ON p.media_id = m.id "
            "WHERE p.event_id = ?", (event_id,))]
    media_root = live_server.env["MEDIA_ROOT"]
    images = []
    for key in keys:
        with open(f"{media_root}/{key}", "rb") as fh:
            image = Image.open(io.BytesIO(fh.read()))
            image.load()
            images.append(image)
    return images


def sync(page, timeout=30):
    """Tap 立即同步 until the phone's outbox is empty."""
    wait_for_outbox(page, lambda states: states == [], timeout=timeout,
                    poke=lambda: page.get_by_role("button", name="立即同步").click())


def set_gps(context, lon, lat, accuracy=8):
    context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": accuracy})


def act(page, base_url, event_id, button, **fill):
    """One step of the closed loop on the event's page, as the office user clicks it."""
    page.goto(f"{base_url}/events/{event_id}")
    form = page.locator("form.act").filter(has=page.get_by_role("button", name=button, exact=True))
    for label, value in fill.items():
        if label == "photo":
            form.locator("input[type=file]").set_input_files(value)
        else:
            form.get_by_label(label).fill(value)
    with page.expect_navigation():
        form.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".flash-info")).to_contain_text(f"已完成：{button}")

"""In Chromium at 360×640, through gunicorn: sign in and reach the worker's home page."""
from tests.browser import sign_in


def test_worker_signs_in_on_a_phone_and_sees_own_grid(live_server, phone):
    page = phone.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("heading", name="登录网格行").is_visible()
    sign_in(page, live_server.url, "worker")
    assert page.get_by_role("heading", name="我的网格").is_visible()
    assert page.get_by_role("link", name="芙蓉街社区第1网格").is_visible()
    # Phone layout: navigation is a bar along the bottom edge, and nothing scrolls sideways.
    nav = page.get_by_role("navigation", name="主导航").bounding_box()
    assert nav["y"] + nav["height"] >= 639 and nav["width"] >= 359
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Tap targets are at least 44 px high.
    for link in page.get_by_role("navigation", name="主导航").get_by_role("link").all():
        assert link.bounding_box()["height"] >= 44
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_wrong_password_is_explained_in_the_browser(live_server, phone):
    page = phone.new_page()
    sign_in(page, live_server.url, "secretary", "not-the-password")
    assert page.get_by_role("alert").inner_text() == "用户名或密码错误。连续输错 5 次，账户将锁定 15 分钟。"


def test_english_is_one_tap_away_and_desktop_has_a_sidebar(live_server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + "/login")
    page.get_by_role("button", name="English").click()
    assert page.get_by_role("heading", name="Sign in to Gridwalk").is_visible()
    page.get_by_label("Username").fill("command")
    page.get_by_label("Password").fill("gridwalk-demo")
    page.get_by_role("button", name="Sign in").click()
    nav = page.get_by_role("navigation", name="Main navigation").bounding_box()
    assert nav["x"] == 0 and nav["height"] > 600 and nav["width"] < 300  # a sidebar
    assert page.get_by_role("heading", name="历下区 · Overview").is_visible()
    context.close()

"""Sign-in, security headers, languages, home pages per role."""
from datetime import timedelta

from app.audit.models import AuditLog
from app.auth.models import User
from app.extensions import db
from tests.conftest import csrf_from, sign_in


def test_sign_in_page_is_chinese_with_english_one_tap_away(client, demo):
    page = client.get("/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'lang="zh-Hans"' in html and "登录网格行" in html
    token = csrf_from(html)
    switched = client.post("/language/en", data={"csrf_token": token, "next": "/login"})
    assert switched.status_code == 302
    english = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in english and "Sign in to Gridwalk" in english


def test_each_role_lands_on_its_own_home(client, demo):
    expected = {
        "worker": "芙蓉街社区第1网格", "leader": "芙蓉街社区第1网格", "rider": "我负责的网格",
        "secretary": "芙蓉街社区", "street": "泉城路街道 · 总览", "command": "历下区 · 总览",
        "dept": "区城市管理局", "admin": "系统管理",
    }
    for username, marker in expected.items():
        assert sign_in(client, username).status_code == 302
        home = client.get("/").get_data(as_text=True)
        assert marker in home, username
        client.post("/logout", data={"csrf_token": csrf_from(home)})


def test_street_overview_counts_only_its_own_street(login, demo):
    html = login("street").get("/").get_data(as_text=True)
    assert "芙蓉街社区" in html and "按察司街社区" in html
    assert "曲水亭社区" not in html and "百花洲社区" not in html


def test_wrong_password_message_and_audit(client, demo):
    response = sign_in(client, "worker", "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    row = AuditLog.query.filter_by(action="login.failed").one()
    assert row.actor_name == "worker" and row.object_type == "user"


def _flashed(response):
    import re

    return re.findall(r'class="flash[^"]*"[^>]*>(.*?)<', response.get_data(as_text=True), re.S)


def test_account_locks_after_repeated_failures(client, demo):
    for _ in range(app_failures(client)):
        sign_in(client, "worker", "nope-nope")
    response = sign_in(client, "worker", "gridwalk-demo")  # right password, but locked
    assert response.status_code == 401
    assert "账户将锁定" in response.get_data(as_text=True)  # the rule is said, to everyone
    assert client.get("/api/v1/me").status_code == 401


def test_a_locked_account_cannot_be_told_from_an_unknown_name(client, demo):
    """The same answer for a wrong password, a locked account and a name nobody has, so names
    cannot be collected by trying them."""
    for _ in range(app_failures(client)):
        sign_in(client, "worker", "nope-nope")
    locked = sign_in(client, "worker", "gridwalk-demo")
    for _ in range(app_failures(client)):
        sign_in(client, "no-such-user", "nope-nope")
    unknown = sign_in(client, "no-such-user", "nope-nope")
    wrong = sign_in(client, "leader", "nope-nope")
    assert locked.status_code == unknown.status_code == wrong.status_code == 401
    assert _flashed(locked) == _flashed(unknown) == _flashed(wrong) != []


def app_failures(client):
    return client.application.config["LOGIN_MAX_FAILURES"]


def test_sign_in_from_one_address_is_throttled(client, demo, app):
    app.config["LOGIN_IP_MAX_FAILURES"] = 3
    try:
        for name in ("a-user", "b-user", "c-user"):
            sign_in(client, name, "whatever")
        response = sign_in(client, "worker", "gridwalk-demo")
        assert response.status_code == 429
        assert "登录尝试过于频繁" in response.get_data(as_text=True)
    finally:
        app.config["LOGIN_IP_MAX_FAILURES"] = 100


def test_throttled_attempts_do_not_extend_the_block(client, demo, app):
    """Phones behind one carrier address keep trying while it is blocked: the block still ends
    when the failures that caused it leave the window."""
    from app.auth.models import LoginAttempt

    app.config["LOGIN_IP_MAX_FAILURES"] = 3
    try:
        for name in ("a-user", "b-user", "c-user"):
            sign_in(client, name, "whatever")
        causes = [a.id for a in LoginAttempt.query.all()]
        for _ in range(5):
            assert sign_in(client, "worker", "gridwalk-demo").status_code == 429
        # The window passes for the three failures; the throttled tries were made just now.
        window = timedelta(minutes=app.config["LOGIN_IP_WINDOW_MINUTES"], seconds=30)
        for attempt in LoginAttempt.query.filter(LoginAttempt.id.in_(causes)):
            attempt.at -= window
        db.session.commit()
        assert sign_in(client, "worker", "gridwalk-demo").status_code == 302
    finally:
        app.config["LOGIN_IP_MAX_FAILURES"] = 100


def test_one_name_tried_again_and_again_is_throttled_without_blocking_the_address(client, demo, app):
    """Guessing at one name from an address is stopped long before the address's own ceiling,
    so the other people behind that address can still sign in."""
    limit = app.config["LOGIN_IP_USER_MAX_FAILURES"]
    assert limit < app.config["LOGIN_IP_MAX_FAILURES"]
    for _ in range(limit):
        assert sign_in(client, "no-such-user", "guess").status_code == 401
    assert sign_in(client, "no-such-user", "guess").status_code == 429
    assert sign_in(client, "leader", "gridwalk-demo").status_code == 302


def test_successful_sign_in_is_audited_with_role(login, demo):
    login("secretary")
    row = AuditLog.query.filter_by(action="login").one()
    assert row.actor_name == "secretary" and row.actor_role == "secretary"


def test_expired_session_says_so(login, demo, app):
    client = login("worker")
    with client.session_transaction() as session:
        session["last_seen"] -= app.config["SESSION_LIFETIME"].total_seconds() + 60
    response = client.get("/grids")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "会话已过期" in page
    api = login("worker")
    with api.session_transaction() as session:
        session["last_seen"] -= app.config["SESSION_LIFETIME"] / timedelta(seconds=1) + 60
    reply = api.get("/api/v1/me")
    assert reply.status_code == 401 and reply.get_json()["error"] == "session_expired"


def test_forms_require_csrf(client, demo):
    response = client.post("/login", data={"username": "worker", "password": "gridwalk-demo"})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert client.get("/api/v1/me").status_code == 401


def test_security_headers_and_cookie_flags(client, demo):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    signed_in = sign_in(client, "worker")
    cookie = signed_in.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "remember_token" not in signed_in.headers.get("Set-Cookie", "")


def test_secure_cookie_in_production(monkeypatch, tmp_path):
    from app.config import load_config

    monkeypatch.setenv("GRIDWALK_ENV", "production")
    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.delenv("DATA_KEY", raising=False)
    import pytest

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_config(str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    with pytest.raises(RuntimeError, match="DATA_KEY"):
        load_config(str(tmp_path))
    monkeypatch.setenv("DATA_KEY", "y" * 40)
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] is True
    assert not (tmp_path / "secret_key").exists()


def test_development_secret_key_is_generated_once(monkeypatch, tmp_path):
    from app.config import load_config

    monkeypatch.delenv("SECRET_KEY")
    first = load_config(str(tmp_path))["SECRET_KEY"]
    assert len(first) >= 32 and load_config(str(tmp_path))["SECRET_KEY"] == first


def test_language_choice_is_remembered_per_user(client, demo):
    sign_in(client, "worker")
    token = csrf_from(client.get("/").get_data(as_text=True))
    client.post("/language/en", data={"csrf_token": token})
    assert db.session.execute(db.select(User.locale).filter_by(username="worker")).scalar() == "en"
    client.post("/logout", data={"csrf_token": token})
    fresh = client.application.test_client()
    sign_in(fresh, "worker")
    assert "My grid" in fresh.get("/").get_data(as_text=True)


def test_connections_the_database_dropped_are_replaced_after_a_pause(login, demo, monkeypatch):
    """The database restarts (or a firewall drops idle links overnight) while connections sit in
    the pool: the first request after the pause gets a new connection and its answer, not an
    error. A connection in constant use is not pinged on every checkout."""
    import app as gridwalk
    from tests.conftest import PG_ADMIN_URL, _pg_connect

    if db.engine.dialect.name != "postgresql":
        import pytest

        pytest.skip("needs a database server that can end a connection: PostgreSQL only")
    worker = login("worker")
    assert worker.get("/api/v1/me").status_code == 200
    db.session.remove()  # the test's own connection goes back to the pool too
    with _pg_connect(PG_ADMIN_URL) as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
            [db.engine.url.database]).fetchone()[0]
    assert ended >= 1
    monkeypatch.setattr(gridwalk, "POOL_PING_AFTER_IDLE_S", 0.0)  # as if the pause were long
    try:
        answer = worker.get("/api/v1/me")
        assert answer.status_code == 200 and answer.get_json()["username"] == "worker"
    finally:
        # The other ended connections still sit in the pool, used a moment ago (so not pinged):
        # the next test must not inherit them.
        db.session.remove()
        db.engine.dispose()


def _copy_cookies(source, target):
    for cookie in source._cookies.values():
        target._cookies[(cookie.domain, cookie.path, cookie.key)] = cookie


def test_signing_out_ends_every_session_of_that_user(login, demo, app):
    """A cookie copied before sign-out (or the same account signed in on another phone) stops
    working when the user signs out."""
    phone = login("worker")
    copy = app.test_client()
    _copy_cookies(phone, copy)
    assert copy.get("/api/v1/me").status_code == 200
    token = csrf_from(phone.get("/").get_data(as_text=True))
    phone.post("/logout", data={"csrf_token": token})
    assert copy.get("/api/v1/me").status_code == 401
    assert login("worker").get("/api/v1/me").status_code == 200  # signing in again works


def test_a_late_background_fetch_after_sign_out_does_not_break_the_next_sign_in(login, demo, app):
    """The service worker may still be fetching the offline pages, with the old cookie, when the
    user signs out. Its late answer must not set a cookie: the browser would take it in place of
    the sign-in page's session, and the next user's sign-in would fail its CSRF check."""
    phone = login("worker")
    late = app.test_client()
    _copy_cookies(phone, late)  # a request already on its way with the old session
    phone.post("/logout", data={"csrf_token": csrf_from(phone.get("/").get_data(as_text=True))})
    token = csrf_from(phone.get("/login").get_data(as_text=True))
    # The service worker's fetches need not carry the page's User-Agent (Chromium's emulation
    # sets it on pages only), which session protection used to answer with a cookie too.
    for agent in ("Mozilla/5.0 (the page)", "Mozilla/5.0 HeadlessChrome (the service worker)"):
        answer = late.get("/registry/app", headers={"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty",
                                                    "User-Agent": agent})
        assert answer.status_code in (302, 401)
        assert answer.headers.getlist("Set-Cookie") == [], agent
    signed_in = phone.post("/login", data={"csrf_token": token, "username": "rider",
                                           "password": "gridwalk-demo"})
    assert signed_in.status_code == 302 and "/login" not in signed_in.headers["Location"]


def test_an_admin_password_reset_ends_the_users_sessions(login, demo):
    phone = login("worker")
    admin = login("admin")
    worker = User.query.filter_by(username="worker").one()
    page = admin.get(f"/admin/users/{worker.id}").get_data(as_text=True)
    answer = admin.post(f"/admin/users/{worker.id}", data={
        "csrf_token": csrf_from(page), "username": "worker", "display_name": worker.display_name,
        "locale": "zh_Hans", "active": "y", "password": "a-new-password-1"})
    assert answer.status_code == 302
    assert phone.get("/api/v1/me").status_code == 401
    assert login("worker", "a-new-password-1").get("/api/v1/me").status_code == 200


def test_a_user_changes_their_own_password(login, demo, client):
    """The current password is asked for; the change ends the user's other sessions and keeps
    this one; the old password no longer signs in."""
    phone, other = login("worker"), login("worker")
    page = phone.get("/me/password")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    wrong = phone.post("/me/password", data={"csrf_token": token, "current": "not-it",
                                             "new": "brand-new-pass-9", "confirm": "brand-new-pass-9"})
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.get_data(as_text=True)
    short = phone.post("/me/password", data={"csrf_token": token, "current": "gridwalk-demo",
                                             "new": "short", "confirm": "short"})
    assert short.status_code == 400
    assert other.get("/api/v1/me").status_code == 200  # nothing changed yet
    done = phone.post("/me/password", data={"csrf_token": token, "current": "gridwalk-demo",
                                            "new": "brand-new-pass-9", "confirm": "brand-new-pass-9"})
    assert done.status_code == 302
    assert phone.get("/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code == 401
    assert sign_in(client, "worker", "gridwalk-demo").status_code == 401
    assert login("worker", "brand-new-pass-9").get("/api/v1/me").status_code == 200
    assert AuditLog.query.filter_by(action="password.changed").count() == 1


HUGE = "99999999999999999999999"  # beyond a 64-bit integer: SQLite cannot bind it


def test_numbers_too_big_for_the_database_are_refused_not_a_500(demo, login, app):
    """Every route with a number in its path, every page and filter parameter, and a form's
    number field, given a number beyond 64 bits, answer 4xx (they raised OverflowError in the
    database driver: found by an outside probe)."""
    failures = []
    for username in ("worker", "admin"):
        client = login(username)
        token = csrf_from(client.get("/me").get_data(as_text=True))
        for rule in app.url_map.iter_rules():
            if not any("int" in conv.__class__.__name__.lower() for conv in rule._converters.values()):
                continue
            url = rule.rule
            for name in rule.arguments:
                url = url.replace(f"<int:{name}>", HUGE).replace(f"<{name}>", "x")
            method = "GET" if "GET" in rule.methods else "POST"
            response = client.open(url, method=method, data={"csrf_token": token})
            if response.status_code >= 500:
                failures.append(f"{username} {method} {url}: {response.status_code}")
        for url in ("/registry", "/review", "/events", "/people", "/tasks/assigned", "/grids",
                    "/admin/users", "/admin/audit", "/patrols", "/assessment"):
            for param in ("page", "worker", "grid", "author", "unit"):
                response = client.get(f"{url}?{param}={HUGE}")
                if response.status_code >= 500:
                    failures.append(f"{username} {url}?{param}: {response.status_code}")
        response = client.post("/admin/units/new", data={"csrf_token": token, "code": "X", "name": "X",
                                                        "level": "community", "parent_id": HUGE})
        if response.status_code >= 500:
            failures.append(f"{username} POST /admin/units/new parent_id: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_one_error_shape_reaches_forms_and_the_api(app):
    """Every feature's refusal is a DomainError: the same reason goes onto a form's fields, or
    into an API answer with its code and status."""
    from wtforms import Form, StringField

    from app.errors import DomainError, Forbidden, Rejected, api_answer, put_on_form
    from app.events.workflow import WorkflowError
    from app.media.services import MediaError
    from app.org.services import GeometryError
    from app.tasks.services import AdmissionError

    for error in (Rejected({"name": ["必填"]}), Forbidden("不行"), WorkflowError("已被处理", code="stale"),
                  MediaError(413, "too_big", "照片太大"), GeometryError("不是多边形"),
                  AdmissionError({"reason": ["清单外事项须说明理由"]})):
        assert isinstance(error, DomainError) and error.text()

    class Named(Form):
        name = StringField()
        description = StringField()

    form = Named()
    put_on_form(form, Rejected({"name": ["必填"], "unknown": ["另一个问题"]}))
    assert form.name.errors == ["必填"] and form.description.errors == ["另一个问题"]
    with app.test_request_context("/api/v1/x"):
        body, status = api_answer(WorkflowError("事件已被他人处理", code="stale"))
        assert status == 409 and body.get_json() == {"error": "stale", "message": "事件已被他人处理"}
        body, status = api_answer(Rejected({"lon": ["不在网格内"]}))
        assert status == 400 and body.get_json()["errors"] == {"lon": ["不在网格内"]}

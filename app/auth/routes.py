from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..audit import services as audit
from ..extensions import db, login_manager
from ..transaction import unit_of_work
from . import services
from .forms import LanguageForm, LoginForm, PasswordChangeForm
from .models import User

bp = Blueprint("auth", __name__)


def safe_next(target):
    """Only same-site relative paths may be a redirect target after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


SESSION_VERSION_KEY = "session_version"


@login_manager.user_loader
def load_user(user_id):
    user = db.session.get(User, int(user_id))
    if user is not None and session.get(SESSION_VERSION_KEY, 0) != user.session_version:
        g.session_expired = True  # ended elsewhere: sign-out, a password change or a reset
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    expired = g.get("session_expired", False)
    if wants_json():
        code = "session_expired" if expired else "not_signed_in"
        return jsonify(error=code, message=_("会话已过期，请重新登录") if expired
                       else _("请先登录")), 401
    # Only a page the user opens may write the session. A script's or the service worker's fetch
    # may still carry the old cookie after sign-out; a cookie set on its answer would replace
    # the sign-in page's session and fail the next sign-in's CSRF check.
    if expired and request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate":
        flash(_("会话已过期，请重新登录。未发送的记录仍保存在本机。"), "warning")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


# Answered without loading the user: a load balancer's probe carries no session, and a phone's
# probe must not cost a database read at the morning peak.
SESSIONLESS_ENDPOINTS = {"pwa.healthz", "static"}


def enforce_session_lifetime():
    """Sign out a session idle longer than SESSION_LIFETIME; remember that it expired."""
    if request.endpoint in SESSIONLESS_ENDPOINTS:
        return
    if not current_user.is_authenticated:
        return
    now = datetime.now(UTC).timestamp()
    last_seen = session.get("last_seen")
    lifetime = current_app.config["SESSION_LIFETIME"].total_seconds()
    if last_seen is not None and now - last_seen > lifetime:
        logout_user()
        session.pop("last_seen", None)
        g.session_expired = True
        return
    # Touch the session at most once a minute: each touch re-sends the cookie, and concurrent
    # responses (sync calls beside a page) would otherwise race to set it.
    if last_seen is None or now - last_seen > 60:
        session["last_seen"] = now


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        # Kept whatever the answer: a failed try counts toward the lock and is audited.
        with unit_of_work():
            result = services.authenticate(form.username.data, form.password.data,
                                           request.remote_addr or "")
            # A language tapped on the sign-in page, in this session, becomes the user's choice.
            chosen = session.get("lang")
            if result.user and chosen in current_app.config["LANGUAGES"] and chosen != result.user.locale:
                result.user.locale = chosen
        if result.user:
            session.clear()
            session.permanent = True
            login_user(result.user, remember=False)
            session[SESSION_VERSION_KEY] = result.user.session_version
            session["last_seen"] = datetime.now(UTC).timestamp()
            if result.user.locale:
                session["lang"] = result.user.locale
            return redirect(safe_next(form.next.data) or url_for("home.index"))
        # A locked account gets the answer a wrong password or an unknown name gets: otherwise
        # trying names would tell which exist. The rule itself is no secret.
        wrong = _("用户名或密码错误。连续输错 %(n)d 次，账户将锁定 %(m)d 分钟。",
                  n=current_app.config["LOGIN_MAX_FAILURES"], m=current_app.config["LOGIN_LOCK_MINUTES"])
        messages = {
            "bad_credentials": wrong,
            "locked": wrong,
            "throttled": _("登录尝试过于频繁，请 %(n)d 分钟后再试", n=result.minutes_left),
            "inactive": _("该账户已停用，请联系管理员"),
        }
        flash(messages[result.error], "error")
        status = 429 if result.error == "throttled" else 401
        return render_template("auth/login.html", form=form), status
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    with unit_of_work():
        audit.record("logout", current_user)
        services.end_sessions(current_user)  # a copied cookie, or this account on another phone
    logout_user()
    session.clear()
    flash(_("已退出登录"), "info")
    response = redirect(url_for("auth.login"))
    # The browser's HTTP cache (photos are kept there, private); the sign-in page's script then
    # forgets the pulled records and kept pages, and leaves the unsent outbox.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password: the current one is asked for. Every other session of this
    user ends; this one goes on."""
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        with unit_of_work():
            changed = services.change_password(current_user, form.current.data, form.new.data)
        if changed:
            session[SESSION_VERSION_KEY] = current_user.session_version
            flash(_("密码已修改，其他设备上的登录已退出"), "info")
            return redirect(url_for("home.me"))
        form.current.errors.append(_("当前密码不正确"))
    if form.errors:
        status = 400
    return render_template("auth/password.html", form=form), status


@bp.route("/language/<code>", methods=["POST"])
def set_language(code):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session["lang"] = code
    if current_user.is_authenticated:
        with unit_of_work():
            current_user.locale = code
    response = redirect(safe_next(form.next.data) or url_for("home.index"))
    response.set_cookie("lang", code, max_age=365 * 86400, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response

"""Error pages in the user's language; JSON for the API, whatever went wrong before."""
import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError


def _messages():
    return {
        400: (_("请求无效"), _("提交的内容无法处理。")),
        403: (_("没有权限"), _("你可以查看此内容，但不能修改。")),
        404: (_("找不到"), _("页面不存在，或不在你的管辖范围内。")),
        413: (_("文件太大"), _("上传的文件超过了大小限制。")),
        429: (_("请求过于频繁"), _("请稍后再试。")),
        500: (_("服务器出错"), _("已记录，请稍后再试。你的记录不会丢失。")),
    }


log = logging.getLogger(__name__)


def _reset_session():
    """After a database error the transaction may be unusable (PostgreSQL refuses every
    statement until a rollback), and rendering may need the database (the user's language)."""
    from .extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection itself may be gone; answer anyway
        log.warning("rollback after an error failed", exc_info=True)


def _render(code, title=None, message=None):
    if code >= 500:
        _reset_session()
    try:
        return _render_in_language(code, title, message)
    except Exception:  # noqa: BLE001 - an error page must never fail in turn
        log.exception("rendering the %s answer failed", code)
        if request.path.startswith("/api/"):
            return jsonify(error=code, message="服务器出错，请稍后再试。Server error; try again later."), code
        return f"<!doctype html><title>{code}</title><p>{code}</p>", code, {
            "Content-Type": "text/html; charset=utf-8"}


def _render_in_language(code, title=None, message=None):
    default_title, default_message = _messages().get(code, (str(code), ""))
    title, message = title or default_title, message or default_message
    if request.path.startswith("/api/"):
        return jsonify(error=code, message=message), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def install_error_handlers(app):
    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, lambda exc, code=code: _render(code))

    def _too_big(exc):
        # A number the database cannot hold reached it (a form's number field, a page far out
        # of range): bad input, not a server fault. SQLite's driver raises OverflowError,
        # PostgreSQL a DataError. Path numbers never get here (the int converter refuses them).
        from .extensions import db

        db.session.rollback()
        return _render(400, _("请求无效"), _("数字超出范围。"))

    app.register_error_handler(OverflowError, _too_big)
    app.register_error_handler(DataError, _too_big)

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        if request.path.startswith("/api/"):
            # Its own code, so a phone tells an expired token (fetch a new one) from a bad body.
            return jsonify(error="csrf", message=_("表单已过期或无效，请刷新页面后重试。")), 400
        return _render(400, _("页面已过期"), _("表单已过期或无效，请刷新页面后重试。"))

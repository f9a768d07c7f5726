"""Errors, in one shape. ``DomainError`` is a refusal the user can act on (a code, a message in
their language, errors per field, an HTTP status); every feature's errors subclass it. One
helper puts it on a form, one turns it into an API answer, and one handler serves both for an
error nobody caught. Below: error pages in the user's language, JSON for the API, whatever
went wrong before."""
import logging

from flask import flash, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError

from .extensions import db


class DomainError(Exception):
    """A refusal with its reason: ``code`` for programs, ``message`` for people, ``fields`` for
    the form's fields ({name: [message, …]}), ``status`` for HTTP."""

    status = 400
    code = "invalid"

    def __init__(self, message=None, *, code=None, fields=None, status=None):
        super().__init__(*([str(message)] if message is not None else []))
        self.message = message
        self.code = code or type(self).code
        self.fields = dict(fields or {})
        self.status = status or type(self).status

    @property
    def errors(self):
        """The field errors, as forms and the sync API have always called them."""
        return self.fields

    def text(self):
        """One line for a person: the message, or the field errors joined."""
        if self.message is not None:
            return str(self.message)
        return "；".join(str(m) for messages in self.fields.values() for m in messages)


class Rejected(DomainError):
    """Field errors: the phone shows the record as 'needs fixing'."""

    def __init__(self, errors, code="invalid"):
        super().__init__(code=code, fields=errors)


class Conflict(DomainError):
    """The record already exists under another mutation."""

    status, code = 409, "conflict"


class Forbidden(DomainError):
    status, code = 403, "forbidden"

    def __init__(self, message):
        super().__init__(message)


def put_on_form(form, error, fallback="description"):
    """Show ``error`` on a WTForms form: each field's messages on that field (an unknown name on
    ``fallback``), a message without fields as a flash."""
    for name, messages in error.fields.items():
        field = getattr(form, name, None) or getattr(form, fallback, None)
        if field is not None:
            field.errors = list(field.errors or []) + [str(m) for m in messages]
    if error.message is not None and not error.fields:
        flash(str(error.message), "error")


def api_answer(error):
    """The JSON answer for ``error``: {error: code, message, errors} with its status."""
    body = {"error": error.code, "message": error.text()}
    if error.fields:
        body["errors"] = {k: [str(m) for m in v] for k, v in error.fields.items()}
    return jsonify(body), error.status


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
    if request.path.startswith("/api/") or request.path.startswith("/hotline/api/"):
        return jsonify(error=code, message=message), code
    if request.path.startswith("/open311/"):  # GeoReport's own error format
        return jsonify([{"code": code, "description": str(message)}]), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def install_error_handlers(app):
    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, lambda exc, code=code: _render(code))

    def _too_big(exc):
        # A number the database cannot hold reached it (a form's number field, a page far out
        # of range): bad input, not a server fault. SQLite's driver raises OverflowError,
        # PostgreSQL a DataError. Path numbers never get here (the int converter refuses them).
        db.session.rollback()
        return _render(400, _("请求无效"), _("数字超出范围。"))

    def _domain(error):
        # A refusal a route did not handle itself: nothing it began is kept.
        db.session.rollback()
        if request.path.startswith("/api/"):
            return api_answer(error)
        return _render(error.status, message=error.text())

    app.register_error_handler(DomainError, _domain)
    app.register_error_handler(OverflowError, _too_big)
    app.register_error_handler(DataError, _too_big)

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        if request.path.startswith("/api/"):
            # Its own code, so a phone tells an expired token (fetch a new one) from a bad body.
            return jsonify(error="csrf", message=_("表单已过期或无效，请刷新页面后重试。")), 400
        return _render(400, _("页面已过期"), _("表单已过期或无效，请刷新页面后重试。"))

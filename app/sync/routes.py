"""Sync API: push a batch of mutations, pull changes since a cursor; ingest an outbox file."""
import base64
import binascii
import json
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..admin.forms import ImportForm
from ..api.guard import guard_blueprint
from ..audit import services as audit
from ..auth.models import User
from ..extensions import db
from ..media.services import MediaError, save_photo
from ..scope.permissions import may
from ..scope.services import can_view
from . import schema, services

bp = Blueprint("sync", __name__)
guard_blueprint(bp)  # the ingest page checks CSRF through its form


def api_error(status, code, message, **extra):
    return jsonify(error=code, message=str(message), **extra), status


def read_json_body():
    """The request's JSON, or None when it is not JSON (bad UTF-8, bad syntax, nested too deep
    for the parser): the caller answers 400, never 500."""
    try:
        return json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError):
        return None


@bp.post("/api/v1/sync/push")
@login_required
def push():
    payload = read_json_body()
    if not isinstance(payload, dict) or not isinstance(payload.get("mutations"), list):
        return api_error(400, "bad_json", _("请求体必须是 JSON：{\"mutations\": [...]}"))
    mutations = payload["mutations"]
    if len(mutations) > services.MAX_BATCH:
        return api_error(413, "batch_too_large", _("一次最多 %(n)d 条", n=services.MAX_BATCH))
    try:
        results = services.push(current_user, mutations)
    except services.CommitFailed:
        response = api_error(503, "retry", _("服务器暂时无法保存，请稍后重试；记录仍在手机上"))
        response[0].headers["Retry-After"] = "30"
        return response
    return jsonify(results=results, server_time=_now_iso())


def _count_arg(name, default, low, high):
    """A query argument that must be a plain non-negative integer; None when it is not."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19 or int(raw) > services.MAX_CURSOR:
        return None
    return min(max(int(raw), low), high)


@bp.get("/api/v1/sync/pull")
@login_required
def pull():
    cursor = _count_arg("cursor", 0, 0, services.MAX_CURSOR)
    limit = _count_arg("limit", 500, 1, 1000)
    if cursor is None or limit is None:
        return api_error(400, "bad_cursor", _("cursor 和 limit 必须是非负整数"))
    return jsonify(**services.pull(current_user, cursor, limit), server_time=_now_iso())


def _now_iso():
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def ingest_outbox_file(raw: bytes, acting_user):
    """Apply an outbox file saved on a phone. Each mutation is applied as its author, if the
    acting admin or secretary may see that author; photos are stored first. The same
    idempotency as push applies, so ingesting a file twice doubles nothing."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError(_("不是有效的导出文件（JSON）")) from None
    if not isinstance(data, dict) or data.get("format") != "gridwalk-outbox" or not isinstance(
            data.get("mutations"), list):
        raise ValueError(_("不是网格行导出的待发送记录文件"))
    media = data.get("media") if isinstance(data.get("media"), dict) else {}
    results = []
    for m in data["mutations"]:
        author_id = m.get("author_id") if isinstance(m, dict) else None
        author = db.session.get(User, author_id) if type(author_id) is int and 0 < author_id < 2**31 else None
        if author is None or not can_view(acting_user, author):
            results.append({"id": services.echo_id(m), "status": "forbidden",
                            "message": _("作者不在你的管辖范围内")})
            continue
        code, errors = schema.mutation_errors(m)
        if errors:
            results.append({"id": services.echo_id(m), "status": "rejected", "code": code,
                            "errors": errors})
            continue
        photo_error = None
        for photo_id in schema.photo_refs(m):
            item = media.get(photo_id)
            if not isinstance(item, dict) or not isinstance(item.get("data"), str):
                continue
            try:
                blob = base64.b64decode(item["data"], validate=True)
                save_photo(photo_id, author, blob, str(item.get("type", "")))
            except (binascii.Error, ValueError):
                photo_error = _("照片数据损坏")
            except MediaError as exc:
                db.session.rollback()
                photo_error = str(exc.message)
        if photo_error:
            results.append({"id": m["id"], "status": "rejected", "message": photo_error})
            continue
        answer = services.apply_batch(author, [m])[0]
        results.append(answer)
        if answer["status"] == "applied":
            # Each record brought in by hand is audited with who brought it and whose it is.
            audit.record("sync.ingest.applied", object_type="sync_mutation", object_id=m["id"],
                         detail={"kind": m["kind"], "record_id": m["record_id"],
                                 "author_id": author.id})
        db.session.commit()
    audit.record("sync.ingest", object_type="sync_mutation",
                 detail={"count": len(results),
                         "applied": sum(r["status"] == "applied" for r in results)})
    db.session.commit()
    return results


@bp.route("/sync/ingest", methods=["GET", "POST"])
@login_required
def ingest():
    if not may(current_user, "sync.ingest"):
        abort(403)
    form = ImportForm()
    form.file.validators = []
    results = None
    if form.validate_on_submit() and form.file.data:
        raw = form.file.data.read(current_app.config["MAX_CONTENT_LENGTH"])
        try:
            results = ingest_outbox_file(raw, current_user)
            applied = sum(r["status"] in ("applied", "duplicate") for r in results)
            flash(_("已处理 %(n)d 条，其中 %(ok)d 条已在服务器上", n=len(results), ok=applied), "info")
        except ValueError as exc:
            flash(str(exc), "error")
    return render_template("sync/ingest.html", form=form, results=results)

"""Sync API: push a batch of mutations, pull changes since a cursor; ingest an outbox file."""
import base64
import binascii
import json
from datetime import UTC

from flask import Blueprint, current_app, flash, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..api.guard import guard_blueprint
from ..audit import services as audit
from ..auth.models import User
from ..extensions import db
from ..media.services import MediaError, store_photo
from ..scope.services import can_view
from . import services

bp = Blueprint("sync", __name__)
guard_blueprint(bp)  # the ingest page checks CSRF through its form


def api_error(status, code, message, **extra):
    return jsonify(error=code, message=str(message), **extra), status


@bp.post("/api/v1/sync/push")
@login_required
def push():
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("mutations"), list):
        return api_error(400, "bad_json", _("请求体必须是 JSON：{\"mutations\": [...]}"))
    mutations = payload["mutations"]
    if len(mutations) > services.MAX_BATCH:
        return api_error(413, "batch_too_large", _("一次最多 %(n)d 条", n=services.MAX_BATCH))
    results = services.push(current_user, mutations)
    return jsonify(results=results, server_time=_now_iso())


@bp.get("/api/v1/sync/pull")
@login_required
def pull():
    cursor = request.args.get("cursor", 0, type=int)
    limit = min(max(request.args.get("limit", 500, type=int), 1), 1000)
    return jsonify(**services.pull(current_user, max(cursor, 0), limit), server_time=_now_iso())


def _now_iso():
    from datetime import datetime

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
    media = data.get("media") or {}
    results = []
    for m in data["mutations"]:
        author = db.session.get(User, m.get("author_id")) if isinstance(m, dict) and isinstance(
            m.get("author_id"), int) else None
        if author is None or not can_view(acting_user, author):
            results.append({"id": m.get("id") if isinstance(m, dict) else None,
                            "status": "forbidden", "message": _("作者不在你的管辖范围内")})
            continue
        photo_error = None
        for photo_id in (m.get("data") or {}).get("photos") or []:
            item = media.get(photo_id)
            if not isinstance(item, dict):
                continue
            try:
                blob = base64.b64decode(item.get("data", ""), validate=True)
                store_photo(photo_id, author, blob, item.get("type", ""))
                db.session.commit()
            except (binascii.Error, ValueError):
                photo_error = _("照片数据损坏")
            except MediaError as exc:
                db.session.rollback()
                photo_error = str(exc.message)
        if photo_error:
            results.append({"id": m.get("id"), "status": "rejected", "message": photo_error})
            continue
        results.append(services.apply_mutation(author, m))
    audit.record("sync.ingest", object_type="sync_mutation",
                 detail={"count": len(results),
                         "applied": sum(r["status"] == "applied" for r in results)})
    db.session.commit()
    return results


@bp.route("/sync/ingest", methods=["GET", "POST"])
@login_required
def ingest():
    from flask import abort

    from ..admin.forms import ImportForm

    if not current_user.has_role("admin", "secretary"):
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

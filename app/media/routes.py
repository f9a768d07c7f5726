from flask import Blueprint, Response, abort, jsonify, request
from flask_login import current_user, login_required

from ..api.guard import guard_blueprint
from ..errors import api_answer
from ..extensions import db
from ..scope.services import can_view
from .models import Media
from .services import MediaError, photo_holders, save_photo
from .storage import get_storage

bp = Blueprint("media", __name__)
guard_blueprint(bp)


@bp.put("/api/v1/media/<media_id>")
@login_required
def upload(media_id):
    """Store a photo under its phone-made UUID. Safe to repeat."""
    data = request.get_data(cache=False)
    try:
        media, created = save_photo(media_id, current_user, data, request.content_type)
    except MediaError as exc:
        db.session.rollback()
        return api_answer(exc)
    return jsonify(id=media.id, width=media.width, height=media.height,
                   status="stored" if created else "duplicate"), 201 if created else 200


def _visible_media(media_id):
    """A photo is seen by its uploader, and by whoever may see an object that shows it."""
    media = db.session.get(Media, (media_id or "").lower())
    if media is None:
        abort(404)
    if media.owner_id == current_user.id:
        return media
    if any(can_view(current_user, holder) for holder in photo_holders(media)):
        return media
    abort(404)


def _send(key):
    try:
        body = get_storage().read(key)
    except (FileNotFoundError, ValueError):
        abort(404)
    response = Response(body, mimetype="image/jpeg")
    # Content never changes for an id: cache privately for a long time.
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


@bp.get("/media/<media_id>")
@login_required
def full(media_id):
    return _send(_visible_media(media_id).storage_key)


@bp.get("/media/<media_id>/thumb")
@login_required
def thumb(media_id):
    return _send(_visible_media(media_id).thumb_key)

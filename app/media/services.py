"""The photo pipeline: check, decode under a pixel limit, fix orientation, strip EXIF, thumbnail."""
import hashlib
import io
import struct
import warnings

from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..sync.schema import is_uuid
from .models import Media
from .storage import get_storage

ALLOWED_TYPES = {"image/jpeg", "image/png", "image/webp"}
# Pillow's own formats for the declared types; anything else is refused before decoding.
PIL_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}


class MediaError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _limits():
    cfg = current_app.config
    return cfg.get("MAX_PHOTO_BYTES", 12 * 1024 * 1024), cfg.get("MAX_PHOTO_PIXELS", 40_000_000)


def store_photo(media_id: str, owner, data: bytes, content_type: str):
    """Store an uploaded photo under its UUID. Returns (media, created).

    The same UUID with the same bytes is a no-op; with other bytes it is a conflict. Nothing is
    written unless the image decodes within the limits.
    """
    media_id = media_id.lower() if isinstance(media_id, str) else ""
    if not is_uuid(media_id):
        raise MediaError(400, "bad_id", _l("照片编号必须是 UUID"))
    max_bytes, max_pixels = _limits()
    if len(data) == 0:
        raise MediaError(400, "empty", _l("照片是空的"))
    if len(data) > max_bytes:
        raise MediaError(413, "too_large", _l("照片超过 %(mb)d MB", mb=max_bytes // 1048576))
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type not in ALLOWED_TYPES:
        raise MediaError(415, "bad_type", _l("只接受 JPEG、PNG 或 WebP 照片"))
    digest = hashlib.sha256(data).hexdigest()
    existing = db.session.get(Media, media_id)
    if existing is not None:
        if existing.owner_id == owner.id and existing.upload_sha256 == digest:
            return existing, False
        raise MediaError(409, "conflict", _l("这个照片编号已用于另一张照片"))

    main, thumb, width, height = _process(data, max_pixels)
    storage = get_storage()
    # Named by the upload's hash as well as the id: two uploads of one id with different bytes,
    # racing, write different files, and the row that wins the commit names its own.
    key = f"{media_id[:2]}/{media_id}-{digest[:16]}.jpg"
    thumb_key = f"{media_id[:2]}/{media_id}-{digest[:16]}_t.jpg"
    storage.save(key, main)
    storage.save(thumb_key, thumb)
    media = Media(id=media_id, owner_id=owner.id, upload_sha256=digest, content_type="image/jpeg",
                  width=width, height=height, size_bytes=len(main), storage_key=key,
                  thumb_key=thumb_key)
    db.session.add(media)
    return media, True


def save_photo(media_id: str, owner, data: bytes, content_type: str):
    """Store and commit a photo. Returns (media, created); raises MediaError. Of several
    concurrent uploads of one id exactly one is stored; the others are answered as duplicates
    (same bytes, same owner) or conflicts."""
    media_id = media_id.lower() if isinstance(media_id, str) else ""
    try:
        media, created = store_photo(media_id, owner, data, content_type)
        db.session.commit()
        return media, created
    except IntegrityError:
        db.session.rollback()
    existing = db.session.get(Media, media_id)
    if existing is not None and existing.owner_id == owner.id and (
            existing.upload_sha256 == hashlib.sha256(data).hexdigest()):
        return existing, False
    # The loser's files carry its own hash in their names and no row names them.
    if existing is not None:
        digest = hashlib.sha256(data).hexdigest()[:16]
        if digest not in existing.storage_key:
            storage = get_storage()
            for suffix in (".jpg", "_t.jpg"):
                storage.delete(f"{media_id[:2]}/{media_id}-{digest}{suffix}")
    raise MediaError(409, "conflict", _l("这个照片编号已用于另一张照片"))


def _upright(image):
    """Turn by the EXIF orientation. EXIF a phone or an editor wrote badly is ignored: the
    photo is kept as it is, and its metadata is dropped on re-encoding anyway."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # noqa: BLE001 - Pillow raises struct.error, TypeError … on broken tags
        pass


def _process(data: bytes, max_pixels: int):
    with warnings.catch_warnings():
        # Pillow warns between 1× and 2× the limit and raises beyond; both mean "too big" here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            Image.MAX_IMAGE_PIXELS = max_pixels
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in PIL_FORMATS:
                    raise MediaError(415, "bad_type", _l("只接受 JPEG、PNG 或 WebP 照片"))
                if probe.width * probe.height > max_pixels:
                    raise MediaError(413, "too_many_pixels", _l("照片像素过多"))
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                # No copies where none is needed: these are a third of an upload's cost.
                _upright(image)
                if image.mode != "RGB":
                    image = image.convert("RGB")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise MediaError(413, "too_many_pixels", _l("照片像素过多")) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, struct.error,
                IndexError, KeyError, ZeroDivisionError):
            raise MediaError(422, "not_an_image", _l("文件不是可识别的图片")) from None
    long_edge = current_app.config.get("PHOTO_LONG_EDGE", 2048)
    image.thumbnail((long_edge, long_edge), Image.Resampling.LANCZOS)
    main = io.BytesIO()
    # No exif= argument: metadata is dropped. No optimize pass: it would take 18 of the ~45 ms
    # an upload costs (measured on a 1600×1200 photo) to save about a quarter of the bytes.
    image.save(main, "JPEG", quality=85)
    # Shrink by whole factors first (cheap), then LANCZOS from at least twice the size.
    thumb_image = image.reduce(max(1, max(image.size) // 640))
    thumb_image.thumbnail((320, 320), Image.Resampling.LANCZOS)
    thumb = io.BytesIO()
    thumb_image.save(thumb, "JPEG", quality=75, optimize=True)
    return main.getvalue(), thumb.getvalue(), image.width, image.height


def media_owners(photo_ids) -> dict:
    """{photo id: owner id} for those stored; read once per request for a batch's photos."""
    known = g.setdefault("_media_owners", {}) if has_request_context() else {}
    missing = [p for p in photo_ids if p not in known]
    if missing:
        known.update(db.session.execute(
            db.select(Media.id, Media.owner_id).where(Media.id.in_(missing))).all())
    return {p: known[p] for p in photo_ids if p in known}

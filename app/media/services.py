"""The photo pipeline: check, decode under a pixel limit, fix orientation, strip EXIF, thumbnail."""
import hashlib
import io
import math
import struct
import warnings

import numpy as np
from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.exc import IntegrityError

from ..errors import DomainError, Rejected
from ..extensions import db
from ..ids import is_uuid
from .models import Media
from .storage import get_storage

ALLOWED_TYPES = {"image/jpeg", "image/png", "image/webp"}
# Pillow's own formats for the declared types; anything else is refused before decoding.
PIL_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}


class MediaError(DomainError):
    """A photo that cannot be taken: too big, not an image, not the uploader's."""

    def __init__(self, status, code, message):
        super().__init__(message, code=code, status=status)


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
            long_edge = current_app.config.get("PHOTO_LONG_EDGE", 2048)
            kept = _as_sent(data, long_edge)
            if kept is not None:
                return kept
            with Image.open(io.BytesIO(data)) as opened:
                image: Image.Image = opened
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
    image.thumbnail((long_edge, long_edge), Image.Resampling.LANCZOS)
    # Pillow writes a JPEG comment, ICC profile and the like back from .info when it saves:
    # a comment can hold anything the camera or an editor put there.
    image.info = {}
    main = io.BytesIO()
    # No exif= argument: metadata is dropped. No optimize pass: it would take 18 of the ~45 ms
    # an upload costs (measured on a 1600×1200 photo) to save about a quarter of the bytes.
    image.save(main, "JPEG", quality=85)
    # Shrink by whole factors first (cheap), then LANCZOS from at least twice the size.
    thumb_image = image.reduce(max(1, max(image.size) // 640))
    return main.getvalue(), _thumbnail(thumb_image), image.width, image.height


def _thumbnail(image) -> bytes:
    image.thumbnail((320, 320), Image.Resampling.LANCZOS)
    image.info = {}
    thumb = io.BytesIO()
    image.save(thumb, "JPEG", quality=75, optimize=True)
    return thumb.getvalue()


def _as_sent(data: bytes, long_edge: int):
    """The photo as the phone made it, when it needs no change but its metadata dropped.

    The phone sends canvas output: a baseline RGB JPEG, upright, within the long edge. Its
    compressed data is kept byte for byte (re-encoding it cost two thirds of an upload and lost
    quality for nothing); every metadata segment and anything after the image goes. The image
    is still decoded whole, at a reduced scale for the thumbnail, so a broken file is refused
    as on the full path. Returns None for any other photo, which the full path then handles.
    """
    stripped = _jpeg_without_metadata(data)
    if stripped is None:
        return None
    with Image.open(io.BytesIO(stripped)) as image:
        if image.format != "JPEG" or image.mode != "RGB" or max(image.size) > long_edge:
            return None
        width, height = image.size
        # DCT scaling decodes every block at 1/2, 1/4 or 1/8 size, itself a fair downscale:
        # the smallest that is still ≥ 320 px on the long edge leaves LANCZOS little to do
        # (its 800 → 320 px resize alone cost 5.7 ms, 400 → 320 px 2.1 ms).
        scale = min(1.0, 320 / max(width, height))
        image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
        image.load()
        return stripped, _thumbnail(image), width, height


# What is kept of the segments before the image: its tables and frame header, and a JFIF
# header written anew (the phone's may carry a thumbnail of the picture before it was cropped).
# Every other APP0 (JFIF extensions hold whole JPEGs), ICC, IPTC and other APPn segments and
# comments are dropped. A photo with EXIF or XMP (APP1) or an Adobe segment (APP14, which
# changes how the pixels decode) takes the full path, which re-encodes it.
_JFIF_HEADER = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
_TABLES_AND_FRAME = {0xC0, 0xC4, 0xDB, 0xDD}  # baseline frame, Huffman, quantisation, restart
_FULL_PATH_APP = {0xE1, 0xEE}


def _scan_end(data: bytes, start: int):
    """Where the marker that ends a scan's entropy-coded data begins: the first 0xFF followed by
    a byte that is not a stuffed zero, a restart marker or more fill. In numpy, so that a file
    made of 0xFF bytes costs no more than a photo of its size."""
    raw = np.frombuffer(data, dtype=np.uint8, offset=start)
    at = np.flatnonzero(raw[:-1] == 0xFF)
    following = raw[at + 1]
    real = at[(following != 0x00) & (following != 0xFF) & ((following < 0xD0) | (following > 0xD7))]
    return start + int(real[0]) if len(real) else None


def _jpeg_without_metadata(data: bytes):
    """A baseline JPEG's bytes without metadata segments or trailing bytes; None if it is not a
    plain baseline JPEG (one scan ended by the end marker) or is malformed."""
    if data[:2] != b"\xff\xd8":
        return None
    out, i, n = [b"\xff\xd8"], 2, len(data)
    jfif_written = False
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        end = i + 2 + length
        if length < 2 or end > n:
            return None
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            marker_at = _scan_end(data, end) if end < n else None
            if marker_at is None or data[marker_at + 1] != 0xD9:
                return None  # cut off, a second scan or anything else: not the simple case
            out.append(data[i:marker_at + 2])
            return b"".join(out)
        if marker in _TABLES_AND_FRAME:
            out.append(data[i:end])
        elif marker == 0xE0:
            if data[i + 4:i + 9] == b"JFIF\x00" and not jfif_written:
                out.append(_JFIF_HEADER)
                jfif_written = True
        elif marker in _FULL_PATH_APP or not (0xE0 <= marker <= 0xEF or marker == 0xFE):
            return None  # EXIF, Adobe, progressive, arithmetic or anything unusual: full path
        i = end
    return None


def media_owners(photo_ids) -> dict:
    """{photo id: owner id} for those stored; read once per request for a batch's photos."""
    known = g.setdefault("_media_owners", {}) if has_request_context() else {}
    missing = [p for p in photo_ids if p not in known]
    if missing:
        known.update(db.session.execute(
            db.select(Media.id, Media.owner_id).where(Media.id.in_(missing))).all())
    return {p: known[p] for p in photo_ids if p in known}


def own_photos(user, photo_ids, limit=9):
    """The photo ids a record names (at most ``limit``, lower-cased), each uploaded by ``user``;
    else Rejected with ``media_missing`` (the phone uploads them and sends the record again)."""
    photos = [p.lower() for p in photo_ids or [] if isinstance(p, str)][:limit]
    owners = media_owners(photos)
    if any(owners.get(p) != user.id for p in photos):
        raise Rejected({"photos": [str(_l("照片尚未上传"))]}, code="media_missing")
    return photos


# --- who may see a photo: whoever may see an object that shows it -------------------------

_holders = []


def photo_holder(find):
    """Register ``find(media) -> objects showing that photo``. Each feature registers the
    objects its photos belong to (events, task reports, visits, check-ins), made by the photo's
    uploader: naming someone else's photo id in one's own record shows it to no one. A photo is
    seen by its uploader and by whoever the scope rules let see one of them."""
    _holders.append(find)
    return find


def photo_holders(media):
    for find in _holders:
        yield from find(media)


def rows_naming(model, column, media, author, limit=20):
    """Rows by the photo's uploader (``author`` is the model's author column) whose JSON list
    ``column`` holds the photo: a text match first, then an exact check, so an id inside a
    longer string does not count."""
    as_text = db.cast(column, db.String)
    rows = model.query.filter(author == media.owner_id, as_text.contains(media.id)).limit(limit).all()
    return [r for r in rows if media.id in (getattr(r, column.key) or [])]

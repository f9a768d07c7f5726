from .. import clock
from ..extensions import db, required_ref


class Media(db.Model):
    """A photo uploaded by its phone-made UUID; the stored file is re-encoded, EXIF-free JPEG."""

    __tablename__ = "media"

    id = db.Column(db.String(36), primary_key=True)
    owner_id = required_ref("user.id")
    upload_sha256 = db.Column(db.String(64), nullable=False)  # of the bytes sent: replay check
    content_type = db.Column(db.String(32), nullable=False)
    width = db.Column(db.Integer, nullable=False)
    height = db.Column(db.Integer, nullable=False)
    size_bytes = db.Column(db.Integer, nullable=False)
    storage_key = db.Column(db.String(120), nullable=False)
    thumb_key = db.Column(db.String(120), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    owner = db.relationship("User")

"""Keys for the systems that call the Open311 GeoReport v2 interface: one per system, issued and
revoked by the admin, stored only as a SHA-256 of the key, with a rate limit per minute."""
from ..extensions import Made, db, required_ref


class ApiKey(Made, db.Model):
    __tablename__ = "api_key"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False)  # the calling system
    key_hash = db.Column(db.String(64), nullable=False, unique=True)
    key_prefix = db.Column(db.String(8), nullable=False)  # shown, so a key can be recognised
    # The account its requests are reported under (no role, no password anyone knows).
    user_id = required_ref("user.id")
    per_minute = db.Column(db.Integer, nullable=False, default=60)
    window_start = db.Column(db.DateTime)
    window_count = db.Column(db.Integer, nullable=False, default=0)
    last_used_at = db.Column(db.DateTime)
    revoked_at = db.Column(db.DateTime)

    user = db.relationship("User", foreign_keys=[user_id])

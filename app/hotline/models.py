"""12345 hotline orders: each is an event (source ``hotline``) with the hotline's order number,
its due date (7 working days, 15 for a complex order), the reason if it was sent back, and the
satisfaction call-back (回访) recorded before it closes."""
from ..extensions import db


class HotlineOrder(db.Model):
    __tablename__ = "hotline_order"

    event_id = db.Column(db.String(36), db.ForeignKey("event.id"), primary_key=True)
    order_no = db.Column(db.String(40), nullable=False, unique=True)
    complex = db.Column(db.Boolean, nullable=False, default=False)
    channel = db.Column(db.String(8), nullable=False)  # api | file
    received_at = db.Column(db.DateTime, nullable=False)
    # The caller, for the call-back only: the number encrypted, shown masked; the name masked.
    caller_name_masked = db.Column(db.String(20), nullable=False, default="")
    caller_phone_cipher = db.Column(db.Text)
    caller_phone_masked = db.Column(db.String(32), nullable=False, default="")
    callback_at = db.Column(db.DateTime)
    callback_by = db.Column(db.Integer, db.ForeignKey("user.id"))
    reached = db.Column(db.Boolean)
    satisfied = db.Column(db.Boolean)
    callback_note = db.Column(db.Text, nullable=False, default="")

    event = db.relationship("Event", backref=db.backref("hotline", uselist=False))

"""The command centre's thresholds for the indicators: at or above ``good`` is green, below
``poor`` red (rates where lower is better, rework and missed reports, read the other way)."""
from ..extensions import db


class IndicatorThreshold(db.Model):
    __tablename__ = "indicator_threshold"

    indicator = db.Column(db.String(32), primary_key=True)
    good = db.Column(db.Float, nullable=False)
    poor = db.Column(db.Float, nullable=False)

"""Org tree (district → street → community) and grids, plus departments."""
import json

from shapely.geometry import shape

from .. import clock
from ..extensions import db

LEVELS = ("district", "street", "community")
GRID_KINDS = ("basic", "exclusive")




class OrgUnit(db.Model):
    __tablename__ = "org_unit"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    level = db.Column(db.String(16), nullable=False)
    parent_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    parent = db.relationship("OrgUnit", remote_side=[id], backref="children")

    def ancestors(self):
        """This unit and its ancestors, nearest first."""
        unit, chain = self, []
        while unit is not None:
            chain.append(unit)
            unit = unit.parent
        return chain

    def __repr__(self):
        return f"<OrgUnit {self.level} {self.code}>"


class Grid(db.Model):
    __tablename__ = "grid"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    kind = db.Column(db.String(16), nullable=False, default="basic")
    community_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False, index=True)
    # Denormalised from the tree so that scope filters are one indexed comparison.
    street_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False, index=True)
    district_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False, index=True)
    # GeoJSON Polygon or MultiPolygon geometry, WGS-84 (lon, lat).
    geojson = db.Column(db.Text, nullable=False)
    # Bounding box, indexed, to narrow point-in-polygon to a few candidates.
    min_lon = db.Column(db.Float, nullable=False)
    min_lat = db.Column(db.Float, nullable=False)
    max_lon = db.Column(db.Float, nullable=False)
    max_lat = db.Column(db.Float, nullable=False)
    area_m2 = db.Column(db.Float, nullable=False, default=0)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    updated_at = db.Column(db.DateTime, nullable=False, default=clock.now, onupdate=clock.now)

    community = db.relationship("OrgUnit", foreign_keys=[community_id])
    street = db.relationship("OrgUnit", foreign_keys=[street_id])
    district = db.relationship("OrgUnit", foreign_keys=[district_id])

    __table_args__ = (db.Index("ix_grid_bbox", "min_lon", "max_lon", "min_lat", "max_lat"),)

    @property
    def geometry(self):
        return json.loads(self.geojson)

    @property
    def shape(self):
        return shape(self.geometry)

    def __repr__(self):
        return f"<Grid {self.code}>"


class Department(db.Model):
    """A functional department (城管, 公安, 消防 …) that events can be dispatched to."""

    __tablename__ = "department"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    district_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False, index=True)

    district = db.relationship("OrgUnit")

"""Org tree (district → street → community) and grids, plus departments."""
import json

from shapely.geometry import shape

from .. import clock
from ..extensions import db, required_ref

LEVELS = ("district", "street", "community")
GRID_KINDS = ("basic", "exclusive")




class Coded:
    """What every unit of the organisation has: a unique code and a name people use."""

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)

    def __repr__(self):
        return f"<{type(self).__name__} {self.code}>"


class OrgUnit(Coded, db.Model):
    __tablename__ = "org_unit"

    level = db.Column(db.String(16), nullable=False)
    parent_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    parent = db.relationship("OrgUnit", remote_side="OrgUnit.id", backref="children")

    def ancestors(self):
        """This unit and its ancestors, nearest first."""
        unit, chain = self, []
        while unit is not None:
            chain.append(unit)
            unit = unit.parent
        return chain


class Grid(Coded, db.Model):
    __tablename__ = "grid"

    kind = db.Column(db.String(16), nullable=False, default="basic")
    community_id = required_ref("org_unit.id")
    # Denormalised from the tree so that scope filters are one indexed comparison.
    street_id = required_ref("org_unit.id")
    district_id = required_ref("org_unit.id")
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


class Department(Coded, db.Model):
    """A functional department (城管, 公安, 消防 …) that events can be dispatched to."""

    __tablename__ = "department"

    district_id = required_ref("org_unit.id")

    district = db.relationship("OrgUnit")

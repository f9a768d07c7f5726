"""The grid's people by force: "2+1+N+X" (2 chiefs, 1 full-time worker, N part-time workers,
X linkage and professional members). 基础力量一员一格、专业力量一员多格、联动力量一格多员:
a chief, worker or linkage member serves one grid; a professional member may serve several.

A member need not have an account (a volunteer team's leader, a doctor on call): they are
listed with a name, a unit and a phone kept encrypted, shown masked. A member with an account
(``user_id``) can be called to an event like a department.
"""
from .. import clock
from ..extensions import db, required_ref

FORCES = ("chief", "full_time", "part_time", "linkage", "professional")
ONE_GRID_FORCES = ("chief", "full_time", "part_time", "linkage")

force_member_grid = db.Table(
    "force_member_grid",
    db.Column("member_id", db.Integer, db.ForeignKey("force_member.id"), primary_key=True),
    db.Column("grid_id", db.Integer, db.ForeignKey("grid.id"), primary_key=True, index=True),
)


class ForceMember(db.Model):
    __tablename__ = "force_member"

    id = db.Column(db.Integer, primary_key=True)
    force = db.Column(db.String(16), nullable=False)  # one of FORCES
    # The member's post: 社区两委, 包联干部, 民警, 医生, 律师, 志愿者 …
    post = db.Column(db.String(40), nullable=False, default="")
    name = db.Column(db.String(60), nullable=False)
    unit = db.Column(db.String(120), nullable=False, default="")
    phone_cipher = db.Column(db.Text)
    phone_hash = db.Column(db.String(64), index=True)
    phone_masked = db.Column(db.String(32), nullable=False, default="")
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"), index=True)
    # The street whose roster holds the member: scope for members serving several communities.
    street_id = required_ref("org_unit.id")
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    updated_at = db.Column(db.DateTime, nullable=False, default=clock.now, onupdate=clock.now)

    grids = db.relationship("Grid", secondary=force_member_grid, order_by="Grid.code")
    user = db.relationship("User")

    @property
    def grid_ids(self):
        return {g.id for g in self.grids}

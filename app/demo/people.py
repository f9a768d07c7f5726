"""The demo's grid people beyond the staff accounts: the roster of each grid ("2+1+N+X"), the
双报到 units and members, the exclusive grids' enterprises and the 帮办代办 requests."""
import random

from ..auth.models import User
from ..org.models import Grid, OrgUnit
from ..roster.models import ForceMember

POSTS = {
    "chief": ["社区党委书记", "社区居委会主任", "包片社区副书记"],
    "linkage": ["社区两委委员", "包联干部（区直机关）", "志愿者队长", "楼长"],
}
PROFESSIONALS = [("民警", "芙蓉街警务室"), ("家庭医生", "社区卫生服务站"), ("律师", "泉城律师事务所")]


def _phone(rng):
    return "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))


def _member(rng, name, force, post, unit, grids, user=None):
    from ..registry import privacy

    phone = _phone(rng)
    return ForceMember(force=force, post=post, name=name, unit=unit, grids=list(grids),
                       street_id=grids[0].street_id, user_id=user.id if user else None,
                       phone_cipher=privacy.encrypt(phone), phone_hash=privacy.keyed_hash(phone),
                       phone_masked=privacy.mask_phone(phone))


def load_demo_roster(db, person_name):
    """Every grid's 2 chiefs, its full-time worker, its riders and 2 linkage members; per
    community a police officer, a family doctor and, per street, a lawyer serving several grids.
    The 芙蓉街 officer has the demo account ``police`` and can be called to events."""
    rng = random.Random(15)
    police = User.query.filter_by(username="police").one()
    for community in OrgUnit.query.filter_by(level="community").order_by(OrgUnit.code):
        grids = Grid.query.filter_by(community_id=community.id).order_by(Grid.code).all()
        for grid in grids:
            for post in rng.sample(POSTS["chief"], 2):
                db.session.add(_member(rng, person_name(rng), "chief", post, community.name, [grid]))
            for assignment in grid_staff(grid):
                force = "full_time" if assignment.role == "grid_worker" else "part_time"
                unit = community.name if force == "full_time" else "美团外卖泉城路站"
                db.session.add(_member(rng, assignment.user.display_name, force, "", unit, [grid]))
            for post in rng.sample(POSTS["linkage"], 2):
                db.session.add(_member(rng, person_name(rng), "linkage", post, community.name, [grid]))
        for post, unit in PROFESSIONALS[:2]:
            account = police if post == "民警" and community.code == "LX-QCL-FRJ" else None
            title = "警官" if post == "民警" else "医生"
            name = account.display_name if account else person_name(rng) + title
            db.session.add(_member(rng, name, "professional", post, unit, grids, account))
    for street in OrgUnit.query.filter_by(level="street").order_by(OrgUnit.code):
        grids = Grid.query.filter_by(street_id=street.id).order_by(Grid.code).all()
        post, unit = PROFESSIONALS[2]
        db.session.add(_member(rng, person_name(rng) + "律师", "professional", post, unit, grids))
    db.session.flush()


def grid_staff(grid):
    from ..auth.models import RoleAssignment

    return (RoleAssignment.query.filter(RoleAssignment.grid_id == grid.id,
                                        RoleAssignment.role.in_(("grid_worker", "part_time")))
            .order_by(RoleAssignment.id).all())

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


def load_demo_assist(db, worker):
    """The catalogue, and four of the worker's 帮办 requests at different stages for residents of
    芙蓉街第1网格: one just accepted, one submitted, one done with its call-back, one overdue."""
    import uuid
    from datetime import timedelta

    from .. import clock
    from ..assist import services as assist
    from ..assist.catalogue import load_default_items
    from ..assist.models import ConvenienceItem
    from ..registry.models import RegistryRecord

    load_default_items()
    people = {r.name: r.id for r in RegistryRecord.query.filter_by(kind="person")}
    item = {i.name: i.id for i in ConvenienceItem.query}
    now = clock.now()
    plans = [
        ("赵秀英", "高龄津贴申领", 1, ["materials", "submitted", "done"], 5),
        ("郑桂兰", "重度残疾人护理补贴申请", 3, ["materials", "submitted"], None),
        ("孙建国", "灵活就业人员参保登记", 0, [], None),
        ("周晓梅", "居住证申领", 40, ["materials"], None),  # accepted 40 days ago: overdue
    ]
    for name, item_name, days_ago, steps, satisfaction in plans:
        at = now - timedelta(days=days_ago, hours=2)
        request = assist.create_request(worker, str(uuid.uuid4()), {
            "item_id": item[item_name], "resident_id": people[name], "consent": True,
            "consent_method": "in_person", "note": f"{name}委托代办{item_name}"}, at=at.isoformat() + "Z")
        for k, to in enumerate(steps, start=1):
            data = {"to": to, "note": {"materials": "材料已收齐", "submitted": "已交街道便民服务中心窗口",
                                       "done": "已办结，结果已告知居民"}[to]}
            if to == "done" and satisfaction:
                data["satisfaction"] = satisfaction
            assist.advance(worker, request.id, data, at=(at + timedelta(hours=k * 5)).isoformat() + "Z")
    db.session.flush()


def load_demo_volunteers(db, person_name):
    """双报到 in 芙蓉街社区: 3 units, members (the demo's ``member`` among them, one waiting for
    approval), the community's needs and a month of service, confirmed and waiting."""
    import uuid
    from datetime import timedelta

    from .. import clock
    from ..registry import privacy
    from ..volunteers import services as volunteers
    from ..volunteers.models import PartyMember, ServiceClaim

    rng = random.Random(16)
    community = OrgUnit.query.filter_by(code="LX-QCL-FRJ").one()
    street = User.query.filter_by(username="street").one()
    secretary = User.query.filter_by(username="secretary").one()
    unit_names = (("历下区财政局机关党支部", "李主任"), ("济南银行泉城路支行党支部", "高行长"),
                  ("山东大学齐鲁医院党委第三支部", "韩书记"))
    units = [volunteers.register_unit(street, community, {"name": name, "contact_name": contact,
                                                         "phone": _phone(rng)})
             for name, contact in unit_names]
    volunteers.join_link(secretary, community)
    member_user = User.query.filter_by(username="member").one()
    now = clock.now()

    def member(user, unit, state="approved"):
        phone = _phone(rng)
        row = PartyMember(user_id=user.id, community_id=community.id, unit_id=unit.id,
                          name=user.display_name, phone_cipher=privacy.encrypt(phone),
                          phone_hash=privacy.keyed_hash(phone), phone_masked=privacy.mask_phone(phone),
                          state=state, applied_at=now - timedelta(days=40))
        if state == "approved":
            row.decided_by, row.decided_at = secretary.id, now - timedelta(days=39)
        db.session.add(row)
        return row

    from ..auth.models import RoleAssignment

    members = [member(member_user, units[0])]
    for k, unit in enumerate(units * 2):
        user = User(username=f"m-frj-{k + 1:02d}", display_name=person_name(rng), locale="zh_Hans",
                    password_hash=member_user.password_hash)
        user.assignments.append(RoleAssignment(role="member", org_unit=community))
        db.session.add(user)
        db.session.flush()
        members.append(member(user, unit, "pending" if k == 5 else "approved"))
    db.session.flush()
    needs = [volunteers.publish_need(secretary, community, values) for values in (
        {"kind": "project", "title": "老旧楼院楼道清理", "detail": "芙蓉街12号院楼道杂物清理，自带手套。",
         "slots": 10, "hours": 2},
        {"kind": "wish", "title": "为一位独居老人送一台收音机", "detail": "老人视力不好，喜欢听戏曲。",
         "slots": 1, "hours": 1},
        {"kind": "shift", "title": "周末文明劝导值守", "detail": "芙蓉街口，劝导游客不乱扔垃圾。",
         "starts_on": clock.local_today(), "ends_on": clock.local_today() + timedelta(days=30),
         "slots": 8, "hours": 3})]
    approved = [m for m in members if m.state == "approved"]
    for k, m in enumerate(approved):
        need = needs[0] if k % 2 == 0 else needs[2]
        claimed = now - timedelta(days=12 - k)
        row = ServiceClaim(id=str(uuid.uuid4()), need_id=need.id, member_id=m.id, author_id=m.user_id,
                           claimed_at=claimed, state="claimed")
        if k < len(approved) - 1:  # all but the last have logged their service
            row.state, row.hours, row.logged_at = "logged", need.hours, claimed
            row.note = "按时到岗，完成服务"
            if k < len(approved) - 2:  # the last one waits for the secretary
                row.state, row.confirmed_by = "confirmed", secretary.id
                row.confirmed_at = claimed + timedelta(hours=6)
        db.session.add(row)
    db.session.flush()
    volunteers.record_unit_service(secretary, units[1], needs[0], 6, "支行党员集中清理 3 个楼道")
    db.session.flush()

"""The demo's grid people beyond the staff accounts: the roster of each grid ("2+1+N+X"), the
双报到 units and members, the exclusive grids' enterprises and the 帮办代办 requests."""
import random
import uuid
from datetime import timedelta

from stdnum.cn import uscc

from .. import clock
from ..assist import services as assist
from ..assist.catalogue import load_default_items
from ..assist.models import ConvenienceItem
from ..auth.models import RoleAssignment, User
from ..enterprise import services as enterprise
from ..events.models import Event, EventAction
from ..org.models import Grid, OrgUnit
from ..registry import privacy
from ..registry.models import RegistryRecord, Submission
from ..registry.services import create_record
from ..roster.models import ForceMember
from ..volunteers import services as volunteers
from ..volunteers.models import PartyMember, ServiceClaim

POSTS = {
    "chief": ["社区党委书记", "社区居委会主任", "包片社区副书记"],
    "linkage": ["社区两委委员", "包联干部（区直机关）", "志愿者队长", "楼长"],
}
PROFESSIONALS = [("民警", "芙蓉街警务室"), ("家庭医生", "社区卫生服务站"), ("律师", "泉城律师事务所")]


def _phone(rng):
    return "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))


def _member(rng, name, force, post, unit, grids, user=None):

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
    return (RoleAssignment.query.filter(RoleAssignment.grid_id == grid.id,
                                        RoleAssignment.role.in_(("grid_worker", "part_time")))
            .order_by(RoleAssignment.id).all())


def load_demo_assist(db, worker):
    """The catalogue, and four of the worker's 帮办 requests at different stages for residents of
    芙蓉街第1网格: one just accepted, one submitted, one done with its call-back, one overdue."""


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


ENTERPRISES = {
    "LX-QCL-ACS-03": ("恒隆广场写字楼", [
        ("济南恒泰信息技术有限公司", "I", "12F", "small", 46), ("山东齐鲁律师事务所", "L", "18F", "small", 30),
        ("济南泉城餐饮管理有限公司", "H", "B1", "micro", 22), ("山东华信证券营业部", "J", "9F", "medium", 85),
        ("济南智远教育咨询有限公司", "P", "15F", "micro", 12), ("恒隆商业管理（济南）有限公司", "K", "3F", "medium", 120)]),
    "LX-DMH-BHZ-03": ("大明湖景区游客中心", [
        ("济南明湖文旅发展有限公司", "R", "1F", "medium", 150), ("大明湖画舫游船服务有限公司", "G", "码头", "small", 40),
        ("济南湖畔茶社", "H", "2F", "micro", 8)]),
}


def load_demo_enterprises(db, password_hash):
    """The exclusive grids' enterprises and their officers (``officer`` at 恒隆广场), a street
    survey answered last month by all and this month by some, screenings (one finding wage
    arrears, which opened an event), and a month of needs, some closed on time, one late."""



    now = clock.now()
    today = clock.local_today()
    this_month = enterprise.period_of(today)
    last_month = enterprise.period_of(today.replace(day=1) - timedelta(days=1))
    street = User.query.filter_by(username="street").one()
    survey = enterprise.save_survey(street, OrgUnit.query.filter_by(code="LX-QCL").one(), "企业经济运行月度调查", [
        {"id": "q1", "type": "number", "label": "本月营业收入（万元）", "options": [], "required": True},
        {"id": "q2", "type": "number", "label": "月末从业人数", "options": [], "required": True},
        {"id": "q3", "type": "single", "label": "经营状况", "options": ["良好", "一般", "困难"], "required": True},
        {"id": "q4", "type": "multi", "label": "主要困难", "options": ["用工", "融资", "订单", "成本"],
         "required": False},
        {"id": "q5", "type": "text", "label": "需要街道协调的事项", "options": [], "required": False}])
    rng = random.Random(17)
    for n, (code, (building_name, firms)) in enumerate(ENTERPRISES.items()):
        grid = Grid.query.filter_by(code=code).one()
        slug = code.lower().replace("lx-", "")
        officer = User(username="officer" if n == 0 else f"o-{slug}", locale="zh_Hans",
                       display_name="企业服务专员 宋佳" if n == 0 else "企业服务专员 " + rng.choice("王李张刘陈"),
                       password_hash=password_hash)
        officer.assignments.append(RoleAssignment(role="officer", grid=grid))
        db.session.add(officer)
        db.session.flush()
        point = grid.shape.representative_point()
        building, _ = create_record(officer, str(uuid.uuid4()), "building", {
            "grid_id": grid.id, "name": building_name, "address": building_name, "floors": 30, "units": 1,
            "lon": point.x, "lat": point.y}, source="web")
        records = []
        for k, (name, industry, floor, scale, staff) in enumerate(firms):
            body = f"91370102MA3D{n}{k}{rng.randint(10, 99)}X"
            record, _ = create_record(officer, str(uuid.uuid4()), "organisation", {
                "grid_id": grid.id, "name": name, "uscc": body + uscc.calc_check_digit(body), "org_type": "enterprise",
                "industry": industry, "parent_id": building.id, "floor": floor, "scale": scale, "staff": staff,
                "contact_name": rng.choice("王李张刘陈赵") + "经理", "phone": _phone(rng), "risk_level": "low"},
                source="web")
            record.review_state = "approved"
            records.append(record)
        building.review_state = "approved"
        # The community approved what the officer registered when the grid was set up.

        reviewer = User.query.filter(User.assignments.any(RoleAssignment.org_unit_id == grid.community_id),
                                     User.assignments.any(RoleAssignment.role == "secretary")).first()
        for submission in Submission.query.filter(Submission.record_id.in_([building.id] + [r.id for r in records])):
            submission.state, submission.decided_by, submission.decided_at = "approved", reviewer.id, now
        db.session.flush()
        if survey and grid.street_id == survey.owner_unit_id:
            for k, record in enumerate(records):
                for period, at in ((last_month, now - timedelta(days=today.day + 3)), (this_month, now)):
                    if period == this_month and k % 3 == 2:
                        continue  # not yet surveyed this month
                    enterprise.answer_survey(officer, str(uuid.uuid4()), {
                        "survey_id": survey.id, "version": survey.version, "enterprise_id": record.id,
                        "period": period, "answers": {"q1": rng.randint(30, 900), "q2": firms[k][4],
                                                      "q3": rng.choice(["良好", "一般", "困难"]), "q4": ["成本"]}},
                        at=at.isoformat() + "Z")
        for k, record in enumerate(records):
            for period in (last_month, this_month):
                if period == this_month and k >= 3:
                    continue
                arrears = period == this_month and k == 1 and n == 0
                enterprise.screen(officer, str(uuid.uuid4()), {
                    "enterprise_id": record.id, "period": period,
                    "results": {key: ("risk" if arrears and key == "labour" else "ok") for key in enterprise.RISK_ITEMS},
                    "notes": {"labour": "2 名员工反映上月工资未按时发放"} if arrears else {}})
        # A month of needs: opened on past days; some handled and closed, one late.
        categories = {c.code: c for c in enterprise.need_categories()}
        plans = [("QY02", "招聘 10 名客服，希望街道对接招聘会", 26, "on_time"),
                 ("QY05", "申请创业担保贷款，需要政策指导", 20, "open"),
                 ("QY07", "写字楼临时停电，影响营业", 12, "overdue"),
                 ("QY01", "咨询小微企业税费减免政策", 6, "on_time"),
                 ("QY04", "楼前非机动车乱停，影响消防通道", 2, "open")]
        secretary = User.query.filter(User.assignments.any(RoleAssignment.org_unit_id == grid.community_id),
                                      User.assignments.any(RoleAssignment.role == "secretary")).first()
        for k, (cat, text, days_ago, outcome) in enumerate(plans[: 5 if n == 0 else 3]):
            record = records[k % len(records)]
            opened = now - timedelta(days=days_ago)
            event = enterprise.record_need(officer, str(uuid.uuid4()), {
                "enterprise_id": record.id, "category_id": categories[cat].id, "description": text},
                at=opened.isoformat() + "Z")
            if outcome == "open" or secretary is None:
                continue
            _play_closed(db, event, secretary, officer, opened, late=outcome == "overdue",
                         actions=EventAction, model=Event)
    db.session.flush()


def _play_closed(db, event, secretary, officer, opened, late, actions, model):
    """A need the community handled itself and the officer checked: its logged moves, as the
    closed loop would have made them over those days."""

    limit = timedelta(days=event.category.time_limit)
    steps = [("accept", "reported", "accepted", secretary, "secretary", timedelta(hours=1)),
             ("handle_here", "accepted", "in_progress", secretary, "secretary", timedelta(hours=2)),
             ("report_handled", "in_progress", "handled", secretary, "secretary",
              limit + timedelta(days=2) if late else limit / 2),
             ("check_pass", "handled", "closed", officer, "officer",
              limit + timedelta(days=2, hours=3) if late else limit / 2 + timedelta(hours=3))]
    for action, source, target, user, role, after in steps:
        db.session.add(actions(event_id=event.id, action=action, actor_id=user.id, actor_role=role,
                               level="community", from_state=source, to_state=target,
                               note="已协调解决" if action == "report_handled" else None, photos=[],
                               at=opened + after))
    event.state, event.version = "closed", 5
    event.deadline_at = opened + limit
    event.closed_at = opened + steps[-1][5]
    event.close_type = "overdue" if late else "on_time"


def load_demo_month(db):
    """A month of cases in 大明湖街道 (its workers' reports and 12345 orders) with the moves and
    stage times the closed loop would have written, so the indicators show real figures. The
    phones' own grids (芙蓉街社区) are left as they were."""
    from ..events import stages as stage_clock
    from ..events import workcal
    from ..events.models import EventCategory, EventStage
    from ..hotline import services as hotline
    from ..org.models import Department

    rng = random.Random(18)
    now = clock.now()
    street = OrgUnit.query.filter_by(code="LX-DMH").one()
    grids = Grid.query.filter_by(street_id=street.id, kind="basic").order_by(Grid.code).all()
    subs = [c for c in EventCategory.query.filter(EventCategory.parent_id.isnot(None))
            if c.code[:2] in ("SR", "JM", "GS", "MS")]
    departments = Department.query.filter(Department.code.in_(("LX-SJ", "LX-ZJ", "LX-SW", "LX-JJ"))).all()
    street_user = User.query.filter_by(username="street-dmh").one()
    platform = street_user  # the demo's orders come in as if the street had taken them

    def stage(event, name, start, minutes, end):
        due = start + timedelta(minutes=minutes) if minutes is not None else event.deadline_at
        db.session.add(EventStage(event_id=event.id, stage=name, started_at=start, due_at=due, ended_at=end,
                                  outcome="overdue" if due and end > due else "on_time"))

    def act(event, action, source, target, actor, role, moment, note=None, department=None):
        db.session.add(EventAction(event_id=event.id, action=action, actor_id=actor.id, actor_role=role,
                                   level="street", from_state=source, to_state=target, note=note, photos=[],
                                   department_id=department.id if department else None, at=moment))

    for n in range(40):
        grid = rng.choice(grids)
        worker = next((a.user for a in grid_staff(grid) if a.role == "grid_worker"), street_user)
        reported = now - timedelta(days=rng.uniform(1, 30))
        category = rng.choice(subs)
        point = _somewhere_in(grid, rng)
        event = Event(id=str(uuid.uuid4()), category_id=category.id, description=f"{category.name}（第 {n + 1} 件）",
                      lon=point.x, lat=point.y, grid_id=grid.id, source="grid_worker", reporter_id=worker.id,
                      reported_at=reported, received_at=reported, urgency="urgent" if n % 9 == 0 else "normal",
                      state="reported", level="street", version=1)
        event.category = category
        db.session.add(event)
        db.session.flush()
        if n % 10 == 7:  # refused: not a case for the grid
            moment = reported + timedelta(minutes=rng.randint(5, 50))
            stage(event, "register", reported, stage_clock.limit_minutes(category, "register", event.urgency), moment)
            act(event, "refuse", "reported", "refused", street_user, "street", moment, note="不属于城市管理范围")
            event.state, event.stage_started_at = "refused", None
            continue
        filed = reported + timedelta(minutes=rng.randint(4, 45))
        stage(event, "register", reported, stage_clock.limit_minutes(category, "register", event.urgency), filed)
        act(event, "accept", "reported", "accepted", street_user, "street", filed)
        sent = filed + timedelta(minutes=rng.randint(5, 50))
        stage(event, "dispatch", filed, stage_clock.limit_minutes(category, "dispatch", event.urgency), sent)
        department = rng.choice(departments)
        event.department_id, event.dispatched_at = department.id, sent
        event.deadline_at = clock.to_utc(workcal.deadline(clock.to_local(sent), category.time_limit,
                                                          category.time_unit))
        act(event, "dispatch", "accepted", "dispatched", street_user, "street", sent, department=department)
        if n % 10 in (3, 9) or sent > now - timedelta(days=2):  # still being handled
            event.state, event.stage_started_at, event.version = "in_progress", sent, 4
            continue
        late = n % 10 == 5
        handled = event.deadline_at + timedelta(hours=5) if late else sent + (event.deadline_at - sent) / 2
        stage(event, "handle", sent, None, handled)
        checked = handled + timedelta(minutes=rng.randint(15, 80))
        stage(event, "check", handled, stage_clock.limit_minutes(category, "check", event.urgency), checked)
        act(event, "report_handled", "in_progress", "handled", street_user, "street", handled, note="已处置")
        act(event, "check_pass", "handled", "closed", worker, "grid_worker", checked)
        event.state, event.stage_started_at, event.version = "closed", None, 6
        event.closed_at, event.close_type = checked, "overdue" if checked > event.deadline_at else "on_time"
        event.rework_count = 1 if n % 10 == 1 else 0
    # 12345 orders over the month: most closed after the call-back, one sent back, some open.
    for k in range(8):
        grid = rng.choice(grids)
        point = grid.shape.representative_point()
        received = now - timedelta(days=rng.uniform(1, 28))
        event, _new = hotline.take_order(platform, {
            "order_no": f"12345-{received:%Y%m%d}-{k + 1:03d}", "category_code": rng.choice(subs).code,
            "description": "市民来电反映：" + rng.choice(["夜间施工噪音", "路灯不亮", "垃圾清运不及时", "占道经营"]),
            "lat": point.y, "long": point.x, "complex": k == 2, "caller_phone": _phone(rng),
            "caller_name": person_name_short(rng), "received_at": received.isoformat() + "Z"}, "api")
        event.level = "street"
        if k == 5:
            act(event, "hotline_return", "reported", "refused", street_user, "street",
                received + timedelta(hours=2), note="诉求地址不在本街道")
            event.state = "refused"
            continue
        if k in (6, 7):
            continue
        done = received + timedelta(days=rng.uniform(1, 5))
        act(event, "report_handled", "in_progress", "handled", street_user, "street", done, note="已处置并答复")
        event.hotline.callback_at, event.hotline.callback_by = done + timedelta(hours=3), street_user.id
        event.hotline.reached, event.hotline.satisfied = True, k != 4
        act(event, "callback_close", "handled", "closed", street_user, "street", done + timedelta(hours=3))
        event.state, event.closed_at = "closed", done + timedelta(hours=3)
        event.close_type = "on_time" if event.closed_at <= event.deadline_at else "overdue"
    db.session.flush()


def _somewhere_in(grid, rng):
    """A point inside the grid, away from its centre: reports are spread over the streets."""
    from shapely.geometry import Point

    box = grid.shape.bounds
    for _ in range(50):
        point = Point(rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3]))
        if grid.shape.contains(point):
            return point
    return grid.shape.representative_point()


def person_name_short(rng):
    return rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["先生", "女士"])

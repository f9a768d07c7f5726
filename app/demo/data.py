"""A small, realistic demo district around Quancheng Square and Daming Lake in Lixia, Jinan,
and a district-scale generator with the seed's numbers for benchmarks.

Grids are cells of one lattice whose inner vertices are nudged, so neighbouring grids share
their edges exactly: they touch and never overlap.
"""
import random

from shapely.geometry import Polygon

from ..auth.models import RoleAssignment, User
from ..auth.services import hash_password
from ..events.catalogue import load_catalogue
from ..extensions import db
from ..org.models import Department, Grid, OrgUnit
from ..org.services import apply_geometry

DEMO_PASSWORD = "gridwalk-demo"
DISTRICT = ("LX", "历下区")

# (code, name) of the demo's two streets, each with two communities of three grids.
DEMO_STREETS = [
    ("LX-QCL", "泉城路街道", [("LX-QCL-FRJ", "芙蓉街社区"), ("LX-QCL-ACS", "按察司街社区")]),
    ("LX-DMH", "大明湖街道", [("LX-DMH-QST", "曲水亭社区"), ("LX-DMH-BHZ", "百花洲社区")]),
]
# Exclusive grids of the demo: an office-and-retail complex and the lake's scenic area.
DEMO_EXCLUSIVE = {"LX-QCL-ACS-03": "恒隆广场专属网格", "LX-DMH-BHZ-03": "大明湖景区专属网格"}

DEPARTMENTS = [
    ("CG", "区城市管理局"), ("GA", "公安历下分局"), ("XF", "区消防救援大队"),
    ("SJ", "区市场监督管理局"), ("ZJ", "区住房和城乡建设局"), ("YJ", "区应急管理局"),
    ("HB", "生态环境历下分局"), ("SW", "区水务局"), ("MZ", "区民政局"), ("WJ", "区卫生健康局"),
    ("JY", "区教育和体育局"), ("JJ", "交警历下大队"), ("WH", "区文化和旅游局"),
    # The streets' enterprise service centres, which enterprise needs are handed to.
    ("QCL-QF", "泉城路街道企业服务中心"), ("DMH-QF", "大明湖街道企业服务中心"),
]

LIXIA_STREETS = [
    "泉城路街道", "大明湖街道", "解放路街道", "千佛山街道", "趵突泉街道", "文化东路街道",
    "建新街道", "甸柳街道", "燕山街道", "姚家街道", "龙洞街道", "智远街道", "东关街道",
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "芳伟娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红春梅海燕文"

# South-west corner of the demo lattice (WGS-84) and cell size in degrees.
ORIGIN_LON, ORIGIN_LAT = 117.0080, 36.6600
CELL_LON, CELL_LAT = 0.0040, 0.0060


def person_name(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def lattice(cols, rows, origin=(ORIGIN_LON, ORIGIN_LAT), cell=(CELL_LON, CELL_LAT), seed=7):
    """Vertices of a cols×rows lattice, inner ones nudged by up to 15% of a cell."""
    rng = random.Random(seed)
    (lon0, lat0), (dx, dy) = origin, cell
    vertices = {}
    for i in range(cols + 1):
        for j in range(rows + 1):
            inner = 0 < i < cols and 0 < j < rows
            jx = rng.uniform(-0.15, 0.15) * dx if inner else 0
            jy = rng.uniform(-0.15, 0.15) * dy if inner else 0
            vertices[i, j] = (round(lon0 + i * dx + jx, 7), round(lat0 + j * dy + jy, 7))
    return vertices


def cell_polygon(vertices, i, j):
    ring = [vertices[i, j], vertices[i + 1, j], vertices[i + 1, j + 1], vertices[i, j + 1]]
    return Polygon(ring)


def _unit(code, name, level, parent=None):
    unit = OrgUnit(code=code, name=name, level=level, parent=parent)
    db.session.add(unit)
    return unit


def _grid(code, name, kind, community, street, district, geom):
    grid = Grid(code=code, name=name, kind=kind, community=community, street=street,
                district=district)
    apply_geometry(grid, geom)
    db.session.add(grid)
    return grid


def _user(username, display_name, password_hash, assignments):
    user = User(username=username, display_name=display_name, password_hash=password_hash,
                locale="zh_Hans")
    for role, target in assignments:
        key = {Grid: "grid", OrgUnit: "org_unit", Department: "department"}.get(type(target))
        user.assignments.append(RoleAssignment(role=role, **({key: target} if key else {})))
    db.session.add(user)
    return user


def load_demo():
    """The small demo district. Returns the demo sign-ins as (username, role, where)."""
    rng = random.Random(2026)
    password_hash = hash_password(DEMO_PASSWORD)  # one hash: every demo user shares it
    district = _unit(*DISTRICT, "district")
    departments = [Department(code=f"LX-{c}", name=n, district=district) for c, n in DEPARTMENTS]
    db.session.add_all(departments)
    db.session.flush()
    load_catalogue({d.code: d.id for d in departments})

    vertices = lattice(6, 2)
    grids, communities, streets = {}, {}, {}
    for row, (street_code, street_name, community_defs) in enumerate(DEMO_STREETS):
        street = streets[street_code] = _unit(street_code, street_name, "street", district)
        for half, (community_code, community_name) in enumerate(community_defs):
            community = communities[community_code] = _unit(
                community_code, community_name, "community", street)
            for k in range(3):
                code = f"{community_code}-{k + 1:02d}"
                kind = "exclusive" if code in DEMO_EXCLUSIVE else "basic"
                name = DEMO_EXCLUSIVE.get(code) or f"{community_name}第{k + 1}网格"
                geom = cell_polygon(vertices, half * 3 + k, row)
                grids[code] = _grid(code, name, kind, community, street, district, geom)
    db.session.flush()

    frj1, frj2 = grids["LX-QCL-FRJ-01"], grids["LX-QCL-FRJ-02"]
    sign_ins = [
        ("admin", "admin", "—", "系统管理员", [("admin", None)]),
        ("command", "command", district.name, "指挥中心值班员", [("command", district)]),
        ("street", "street", streets["LX-QCL"].name, "泉城路街道网格中心",
         [("street", streets["LX-QCL"])]),
        ("secretary", "secretary", communities["LX-QCL-FRJ"].name, "刘书记",
         [("secretary", communities["LX-QCL-FRJ"])]),
        ("leader", "grid_leader", frj1.name, "赵网格长", [("grid_leader", frj1)]),
        ("worker", "grid_worker", frj1.name, "王芳", [("grid_worker", frj1)]),
        ("rider", "part_time", f"{frj1.name}、{frj2.name}", "骑手小李",
         [("part_time", frj1), ("part_time", frj2)]),
        ("dept", "department", departments[0].name, "城管执法队员",
         [("department", departments[0])]),
        ("police", "force", "芙蓉街社区 3 个网格", "张警官（芙蓉街警务室）",
         [("force", grids[f"LX-QCL-FRJ-0{k}"]) for k in (1, 2, 3)]),
        ("member", "member", communities["LX-QCL-FRJ"].name, "陈晓东（报到党员）",
         [("member", communities["LX-QCL-FRJ"])]),
    ]
    # The 恒隆广场 officer (``officer``) is made with the exclusive grids' enterprises.
    officer_sign_in = ("officer", "officer", DEMO_EXCLUSIVE["LX-QCL-ACS-03"])
    for username, _role, _where, display, assignments in sign_ins:
        _user(username, display, password_hash, assignments)

    # The rest of the grid force, so that every grid has its full-time worker.
    for code, grid in grids.items():
        if grid is not frj1:
            slug = code.lower().replace("lx-", "")
            _user(f"w-{slug}", person_name(rng), password_hash, [("grid_worker", grid)])
    for code, community in communities.items():
        if code != "LX-QCL-FRJ":
            _user(f"s-{code.lower().replace('lx-', '')}", person_name(rng) + "书记",
                  password_hash, [("secretary", community)])
    _user("street-dmh", "大明湖街道网格中心", password_hash, [("street", streets["LX-DMH"])])
    db.session.flush()
    from .registry import load_demo_registry

    load_demo_registry(User.query.filter_by(username="worker").one(), frj1)
    from .people import load_demo_roster

    load_demo_roster(db, person_name)
    from .people import load_demo_volunteers

    load_demo_volunteers(db, person_name)
    from ..duties.catalogue import load_default_checklist

    load_default_checklist()
    _demo_tasks(frj1, frj2)
    from .people import load_demo_assist, load_demo_enterprises

    load_demo_assist(db, User.query.filter_by(username="worker").one())
    load_demo_enterprises(db, password_hash)
    from .people import load_demo_month

    load_demo_month(db)
    db.session.commit()
    return [(u, r, w) for u, r, w, _d, _a in sign_ins] + [officer_sign_in]


def _demo_tasks(frj1, frj2):
    """A task, a survey and a publicity task from the secretary, and one out-of-list request
    waiting for the command centre, so every role has something to open."""
    from ..duties.models import DutyItem
    from ..tasks.services import create_task

    secretary = User.query.filter_by(username="secretary").one()
    item = {i.title: i.id for i in DutyItem.query}
    both = [(frj1.id, None), (frj2.id, None)]

    def make(kind, title, body, duty, targets, target, questions=(), reason=""):
        create_task(secretary, kind=kind, title=title, body=body, duty_item_id=item.get(duty),
                    reason=reason, request_approval=bool(reason), targets=targets, target=target,
                    questions=questions)

    def question(n, qtype, label, options=(), required=False):
        return {"id": f"q{n}", "type": qtype, "label": label, "options": list(options),
                "required": required}

    make("task", "核查芙蓉街沿街商铺灭火器", "逐户查看灭火器压力和有效期，过期的拍照登记。",
         "九小场所安全检查", [(frj1.id, None)], 1)
    make("survey", "老旧小区加装电梯意愿调查", "请入户询问，每个网格 10 户。", "民意调查入户", both, 10, [
        question(1, "single", "是否同意加装电梯", ["同意", "不同意", "无所谓"], required=True),
        question(2, "multi", "最关心的问题", ["费用分摊", "采光", "噪音"]),
        question(3, "number", "愿意承担的费用（元）"),
        question(4, "text", "其他意见")])
    make("publicity", "反诈宣传进万家",
         "1. 公检法不会电话办案，不会要求转账到“安全账户”。\n2. 下载国家反诈中心 APP。\n"
         "3. 遇到可疑来电拨打 96110。", "防诈骗宣传", both, 20)
    make("task", "配合燃气公司入户安检", "燃气公司专项行动，需网格员带路。", None, [(frj1.id, None)], 1,
         reason="燃气公司请求网格员协助入户")


def load_district_scale(streets=13, communities=100, grids=1293, exclusive=207):
    """The seed's district: 13 streets, ~100 communities, 1,293 grids, ~7,000 people.

    Rows go in with bulk inserts; one password hash is shared, as it is the demo password.
    """
    rng = random.Random(1293)
    password_hash = hash_password(DEMO_PASSWORD)
    district = _unit(*DISTRICT, "district")
    db.session.add_all(Department(code=f"LX-{c}", name=n, district=district)
                       for c, n in DEPARTMENTS)
    db.session.flush()
    load_catalogue({d.code: d.id for d in Department.query})
    street_units = [_unit(f"LX-S{s + 1:02d}", LIXIA_STREETS[s % len(LIXIA_STREETS)], "street",
                          district) for s in range(streets)]
    community_units = [
        _unit(f"LX-S{c % streets + 1:02d}-C{c + 1:03d}", f"第{c + 1}社区", "community",
              street_units[c % streets])
        for c in range(communities)
    ]
    db.session.flush()

    per_community = [grids // communities + (1 if c < grids % communities else 0)
                     for c in range(communities)]
    exclusive_left = exclusive
    cols = 39
    rows = -(-grids // cols)
    vertices = lattice(cols, rows, origin=(116.98, 36.62), cell=(0.0022, 0.0018), seed=13)
    grid_rows, cell = [], 0
    for c, community in enumerate(community_units):
        n_exclusive = exclusive // communities + (1 if c < exclusive % communities else 0)
        n_exclusive = min(n_exclusive, exclusive_left)
        exclusive_left -= n_exclusive
        for k in range(per_community[c]):
            i, j = cell % cols, cell // cols
            cell += 1
            kind = "exclusive" if k >= per_community[c] - n_exclusive else "basic"
            grid = Grid(code=f"{community.code}-G{k + 1:02d}", name=f"{community.name}第{k + 1}网格",
                        kind=kind, community_id=community.id, street_id=community.parent_id,
                        district_id=district.id)
            apply_geometry(grid, cell_polygon(vertices, i, j))
            grid_rows.append({col: getattr(grid, col) for col in (
                "code", "name", "kind", "community_id", "street_id", "district_id", "geojson",
                "min_lon", "min_lat", "max_lon", "max_lat", "area_m2")})
    db.session.execute(db.insert(Grid), grid_rows)
    grid_ids = [gid for (gid,) in db.session.execute(db.select(Grid.id).order_by(Grid.id))]

    users, plans = [], []

    def plan(username, role, **target):
        users.append({"username": username, "display_name": person_name(rng),
                      "password_hash": password_hash, "locale": "zh_Hans", "active": True,
                      "failed_logins": 0})
        plans.append((username, role, target))

    plan("admin", "admin")
    for k in range(5):
        plan(f"command{k + 1:02d}", "command", org_unit_id=district.id)
    for s in street_units:
        for k in range(2):
            plan(f"{s.code.lower()}-{k + 1}", "street", org_unit_id=s.id)
    for c in community_units:
        plan(f"{c.code.lower()}-sec", "secretary", org_unit_id=c.id)
    for n, gid in enumerate(grid_ids):
        plan(f"gw{n + 1:04d}", "grid_worker", grid_id=gid)
        for k in range(2):
            plan(f"gl{n + 1:04d}-{k + 1}", "grid_leader", grid_id=gid)
    riders = 2900
    for r in range(riders):
        plan(f"rider{r + 1:04d}", "part_time", grid_id=grid_ids[r % len(grid_ids)])
    dept_ids = [d for (d,) in db.session.execute(db.select(Department.id))]
    for k, dept_id in enumerate(dept_ids):
        plan(f"dept{k + 1:02d}", "department", department_id=dept_id)

    db.session.execute(db.insert(User), users)
    ids = dict(db.session.execute(db.select(User.username, User.id)).all())
    assignments = []
    for username, role, target in plans:
        row = {"user_id": ids[username], "role": role, "grid_id": None, "org_unit_id": None,
               "department_id": None}
        row.update(target)
        assignments.append(row)
    # Riders cover a second, neighbouring grid.
    for r in range(riders):
        assignments.append({"user_id": ids[f"rider{r + 1:04d}"], "role": "part_time",
                            "grid_id": grid_ids[(r + 1) % len(grid_ids)], "org_unit_id": None,
                            "department_id": None})
    db.session.execute(db.insert(RoleAssignment), assignments)
    db.session.commit()
    return {"streets": streets, "communities": communities, "grids": len(grid_ids),
            "users": len(users)}

"""A day of a grid worker's collection in 芙蓉街社区第1网格, waiting for the secretary."""
import uuid

from stdnum.cn import ric, uscc

from ..extensions import db
from ..registry.services import create_record


def resident_id(region, birth, seq):
    body = f"{region}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # it reads the first 17 of 18 digits


def load_demo_registry(worker, grid):
    def add(kind, **fields):
        record, _ = create_record(worker, str(uuid.uuid4()), kind, {"grid_id": grid.id, **fields},
                                  source="phone")
        db.session.flush()
        return record.id

    building = add("building", name="芙蓉街12号院1号楼", address="芙蓉街12号", floors=5, units=2,
                   property_company="泉城物业")
    yard = add("building", name="芙蓉街18号院", address="芙蓉街18号", floors=3, units=1)
    rooms = [add("room", parent_id=building, name=n, use=u) for n, u in
             (("1单元101", "self"), ("1单元302", "rented"), ("2单元201", "self"))]
    rooms.append(add("room", parent_id=yard, name="1单元102", use="vacant"))
    people = [
        ("赵秀英", "19440305", 2, "registered", rooms[0], ["elderly_alone"]),
        ("孙建国", "19680921", 13, "registered", rooms[2], []),
        ("周晓梅", "19920417", 24, "floating", rooms[1], []),
        ("吴磊", "19950808", 35, "floating", rooms[1], []),
        ("郑桂兰", "19500130", 46, "registered", rooms[2], ["disability"]),
    ]
    for i, (name, birth, seq, kind, room, tags) in enumerate(people):
        add("person", name=name, id_number=resident_id("370102", birth, seq),
            phone=f"1385310{i:04d}", population_type=kind, parent_id=room, tags=tags)
    add("site", name="芙蓉街老济南把子肉", site_type="catering", address="芙蓉街26号",
        contact_name="刘师傅", phone="13953100026")
    add("object", name="LX-JG-000127", object_type="manhole", condition="damaged",
        owner_department="区城市管理局", lon=117.0095, lat=36.6625, address="芙蓉街与西更道路口")
    add("object", name="LX-XHS-00031", object_type="hydrant", condition="good",
        owner_department="区消防救援大队", lon=117.0105, lat=36.6630)
    code = "91370102MA3C5G8X2"
    add("organisation", name="济南芙蓉文化传播有限公司", uscc=code + uscc.calc_check_digit(code),
        org_type="enterprise", address="芙蓉街30号", parent_id=yard, staff=12, risk_level="low")

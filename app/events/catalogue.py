"""The default event catalogue (大类/小类), as used in city grid management practice."""
from ..extensions import db
from ..sync.services import log_change
from .models import EventCategory

DEFAULT_CATALOGUE = [
    ("SR", "市容环境", [("SR01", "暴露垃圾"), ("SR02", "乱堆物料"), ("SR03", "违规广告"),
                      ("SR04", "道路不洁"), ("SR05", "垃圾满溢"), ("SR06", "乱贴乱画")]),
    ("JM", "街面秩序", [("JM01", "占道经营"), ("JM02", "店外经营"), ("JM03", "乱停车辆"),
                      ("JM04", "共享单车乱停"), ("JM05", "无证摊贩")]),
    ("GS", "公共设施", [("GS01", "井盖缺损"), ("GS02", "路灯不亮"), ("GS03", "道路破损"),
                      ("GS04", "消防栓损坏"), ("GS05", "护栏损坏"), ("GS06", "健身器材损坏")]),
    ("AQ", "安全隐患", [("AQ01", "消防通道堵塞"), ("AQ02", "电动车违规充电"), ("AQ03", "燃气隐患"),
                      ("AQ04", "危险建筑"), ("AQ05", "高空坠物隐患"), ("AQ06", "安全生产隐患")]),
    ("MD", "矛盾纠纷", [("MD01", "邻里纠纷"), ("MD02", "物业纠纷"), ("MD03", "劳资纠纷"),
                      ("MD04", "家庭纠纷")]),
    ("ZA", "治安隐患", [("ZA01", "可疑人员"), ("ZA02", "群租房"), ("ZA03", "非法营运"),
                      ("ZA04", "黄赌毒线索")]),
    ("MS", "民生诉求", [("MS01", "供水问题"), ("MS02", "供暖问题"), ("MS03", "噪音扰民"),
                      ("MS04", "养老服务"), ("MS05", "困难帮扶")]),
    # Enterprise needs (企业诉求) keep their own limits per kind: (code, name, limit, unit).
    ("QY", "企业诉求", [("QY01", "政策咨询", 3, "days"), ("QY02", "用工需求", 5, "days"),
                      ("QY03", "经营困难", 10, "days"), ("QY04", "周边环境", 3, "days"),
                      ("QY05", "融资需求", 15, "days"), ("QY06", "审批办理", 5, "days"),
                      ("QY07", "水电气暖保障", 1, "days")]),
    ("TF", "突发事件", [("TF01", "火情"), ("TF02", "积水内涝"), ("TF03", "树木倒伏"),
                      ("TF04", "交通事故"), ("TF05", "人员受伤")]),
]


# Per major category: time limit, unit, whether a grid worker may self-resolve, the department
# it usually goes to (by code), and what "closed" means.
RULES = {
    "SR": (2, "days", True, "LX-CG", "现场清理干净，无暴露垃圾、无乱堆乱放"),
    "JM": (1, "days", True, "LX-CG", "占道、乱停已清除，现场恢复通行"),
    "GS": (3, "days", False, "LX-CG", "设施修复或更换，可正常使用"),
    "AQ": (8, "hours", False, "LX-YJ", "隐患消除，复查无风险"),
    "MD": (5, "days", True, "LX-SJ", "双方达成调解或已依法引导"),
    "ZA": (1, "days", False, "LX-GA", "警情已处置，现场恢复正常"),
    "MS": (5, "days", False, "LX-ZJ", "诉求已答复并落实"),
    "QY": (5, "days", False, "LX-SJ", "企业诉求已答复并落实"),
    "TF": (2, "hours", False, "LX-YJ", "险情排除，人员安全"),
}


# The national classification (GB/T 30428.2) each category maps to: events (事件) in the classes
# 01 市容环境, 02 宣传广告, 03 施工管理, 04 突发事件, 05 街面秩序, 06 其他事件; damage to a
# part (部件) in 01 公用设施, 02 道路交通, 03 市容环境, 04 园林绿化, 05 房屋土地, 06 其他设施.
# Minor classes are numbered within their major class here; a city replaces them with its own
# table in the admin's category form.
NATIONAL = {
    "SR": ("event", "01"), "SR01": ("event", "0102"), "SR02": ("event", "0103"), "SR03": ("event", "0201"),
    "SR04": ("event", "0104"), "SR05": ("event", "0105"), "SR06": ("event", "0202"),
    "JM": ("event", "05"), "JM01": ("event", "0501"), "JM02": ("event", "0502"), "JM03": ("event", "0503"),
    "JM04": ("event", "0504"), "JM05": ("event", "0505"),
    "GS": ("part", "01"), "GS01": ("part", "0101"), "GS02": ("part", "0102"), "GS03": ("part", "0201"),
    "GS04": ("part", "0103"), "GS05": ("part", "0202"), "GS06": ("part", "0601"),
    "AQ": ("event", "04"), "AQ01": ("event", "0401"), "AQ02": ("event", "0402"), "AQ03": ("event", "0403"),
    "AQ04": ("event", "0404"), "AQ05": ("event", "0405"), "AQ06": ("event", "0406"),
    "MD": ("event", "06"), "MD01": ("event", "0601"), "MD02": ("event", "0602"), "MD03": ("event", "0603"),
    "MD04": ("event", "0604"),
    "ZA": ("event", "06"), "ZA01": ("event", "0611"), "ZA02": ("event", "0612"), "ZA03": ("event", "0613"),
    "ZA04": ("event", "0614"),
    "MS": ("event", "06"), "MS01": ("event", "0621"), "MS02": ("event", "0622"), "MS03": ("event", "0623"),
    "MS04": ("event", "0624"), "MS05": ("event", "0625"),
    "QY": ("event", "06"), **{f"QY0{n}": ("event", f"063{n}") for n in range(1, 8)},
    "TF": ("event", "04"), "TF01": ("event", "0411"), "TF02": ("event", "0412"), "TF03": ("event", "0413"),
    "TF04": ("event", "0414"), "TF05": ("event", "0415"),
}


def load_catalogue(departments=None):
    """The catalogue; ``departments`` maps department codes to ids for default dispatch."""
    departments = departments or {}
    for order, (code, name, subs) in enumerate(DEFAULT_CATALOGUE):
        limit, unit, self_ok, dept, criteria = RULES[code]
        rules = {"time_limit": limit, "time_unit": unit, "self_resolvable": self_ok,
                 "default_department_id": departments.get(dept), "closing_criteria": criteria}
        kind, national = NATIONAL.get(code, (None, None))
        major = EventCategory(code=code, name=name, sort_order=order, national_kind=kind,
                              national_code=national, **rules)
        db.session.add(major)
        db.session.flush()
        log_change("category", major.id)
        for sub_order, (sub_code, sub_name, *limit) in enumerate(subs):
            own = dict(rules, time_limit=limit[0], time_unit=limit[1]) if limit else rules
            kind, national = NATIONAL.get(sub_code, (None, None))
            sub = EventCategory(code=sub_code, name=sub_name, parent_id=major.id, sort_order=sub_order,
                                national_kind=kind, national_code=national, **own)
            db.session.add(sub)
            db.session.flush()
            log_change("category", sub.id)

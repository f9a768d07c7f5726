"""A realistic default checklist drafted from the seed: 13 categories, 42 items."""
from datetime import date

from ..extensions import db
from .models import DutyChecklist, DutyItem

# (category, [(title, frequency, target, evidence, filter)])
DEFAULT = [
    ("网格巡查", [("日常巡查", "daily", 1, "patrol", {}),
              ("重点部位巡查打卡", "weekly", 5, "checkin", {}),
              ("夜间及节假日巡查", "monthly", 2, "patrol", {})]),
    ("实有人口采集", [("实有人口登记", "monthly", 10, "record_create", {"kind": "person"}),
                ("人口信息动态更新", "monthly", 5, "record_update", {"kind": "person"}),
                ("流动人口入户核查", "monthly", 4, "visit", {"kind": "person"}),
                ("出租房屋登记", "monthly", 3, "record_create", {"kind": "room"})]),
    ("房屋与场所", [("楼栋房屋信息维护", "monthly", 3, "record_update", {"kind": "building"}),
               ("商铺场所登记", "monthly", 2, "record_create", {"kind": "site"}),
               ("九小场所安全检查", "weekly", 2, "checkin", {})]),
    ("城市部件", [("部件普查登记", "monthly", 5, "record_create", {"kind": "object"}),
              ("部件状态更新", "monthly", 5, "record_update", {"kind": "object"}),
              ("部件损坏上报", "weekly", 1, "event_report", {"category": "GS"})]),
    ("组织与企业服务", [("企业与组织信息采集", "monthly", 2, "record_create", {"kind": "organisation"}),
                 ("企业走访（服务专员）", "monthly", 4, "visit", {"kind": "organisation"}),
                 ("企业诉求收集上报", "monthly", 1, "event_report", {"category": "QY"})]),
    ("事件发现上报", [("随手拍上报", "weekly", 5, "event_report", {}),
                ("安全隐患排查上报", "weekly", 1, "event_report", {"category": "AQ"}),
                ("市容环境问题上报", "weekly", 2, "event_report", {"category": "SR"}),
                ("突发事件首报", "monthly", 0, "event_report", {"category": "TF"})]),
    ("事件核查", [("处置结果现场核查", "weekly", 1, "event_check", {}),
              ("简易问题自行处置", "weekly", 1, "self_resolve", {}),
              ("群众诉求回访", "monthly", 2, "visit", {})]),
    ("特殊人群关爱", [("独居老人走访", "weekly", 1, "visit", {"tag": "elderly_alone"}),
                ("残疾人走访", "monthly", 1, "visit", {"tag": "disability"}),
                ("困难群众帮扶走访", "monthly", 1, "visit", {"tag": "low_income"}),
                ("社区矫正人员协助走访", "monthly", 1, "visit", {"tag": "community_correction"})]),
    ("矛盾纠纷排查", [("矛盾纠纷排查上报", "monthly", 1, "event_report", {"category": "MD"}),
                ("邻里纠纷调解协助", "monthly", 1, "visit", {}),
                ("信访苗头信息报送", "monthly", 0, "manual", {})]),
    ("安全生产与消防", [("消防通道巡查打卡", "weekly", 1, "checkin", {}),
                 ("电动车充电隐患排查", "monthly", 1, "event_report", {"category": "AQ"}),
                 ("汛期及极端天气巡查", "monthly", 0, "patrol", {})]),
    ("政策宣传", [("政策入户宣传", "monthly", 20, "publicity", {}),
              ("防诈骗宣传", "monthly", 10, "publicity", {}),
              ("宣传资料张贴", "monthly", 1, "manual", {})]),
    ("民意收集", [("民意调查入户", "monthly", 10, "survey_answer", {}),
              ("群众意见建议收集", "monthly", 2, "event_report", {"category": "MS"}),
              ("满意度回访", "monthly", 5, "visit", {})]),
    ("党建引领与协同", [("网格党支部活动", "monthly", 1, "manual", {}),
                 ("吹哨报到协同处置", "monthly", 0, "manual", {}),
                 ("双报到单位联系", "monthly", 1, "manual", {})]),
]


def load_default_checklist(valid_from=date(2026, 1, 1)):
    checklist = DutyChecklist(valid_from=valid_from, note="基础网格员工作职责指导清单（13大类42项）")
    for c, (category, items) in enumerate(DEFAULT, start=1):
        for i, (title, frequency, target, evidence, flt) in enumerate(items, start=1):
            checklist.items.append(DutyItem(code=f"{c:02d}.{i}", category=category, title=title,
                                            frequency=frequency, target=target, evidence=evidence,
                                            evidence_filter=flt))
    db.session.add(checklist)
    return checklist

"""Template helpers: role names, navigation per role and its badges, local times."""
from datetime import datetime

from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from . import clock, geo
from .assets import static_rev
from .auth.forms import LanguageForm
from .pwa.offline import offline_pages
from .scope.permissions import may

ROLE_LABELS = {
    "grid_worker": _l("专职网格员"),
    "part_time": _l("兼职网格员"),
    "grid_leader": _l("网格长"),
    "secretary": _l("社区书记"),
    "street": _l("街道网格化服务中心"),
    "command": _l("区城市运行指挥中心"),
    "department": _l("职能部门"),
    "admin": _l("系统管理员"),
    "officer": _l("企业服务专员"),
    "force": _l("网格联动力量"),
    "member": _l("报到党员"),
}
LEVEL_LABELS = {"district": _l("区"), "street": _l("街道"), "community": _l("社区")}
GRID_KIND_LABELS = {"basic": _l("基础网格"), "exclusive": _l("专属网格")}


# The navigation, in order: (action in the permissions table, endpoint, label, icon). An item
# shows when the user may do its action; five or six on a phone.
NAV = [
    ("event.report", "events.report", _l("随手拍"), "camera"),
    ("patrol.walk", "patrols.recorder", _l("巡查"), "grid"),
    ("event.report", "events.my_reports", _l("上报"), "list"),
    ("tasks.receive", "tasks.my_tasks", _l("任务"), "log"),
    ("registry.offline", "registry.phone_app", _l("登记"), "people"),
    ("duties.own", "duties.my_duties", _l("职责"), "log"),
    ("registry.review", "registry.review_queue", _l("审核"), "log"),
    ("patrol.supervise", "patrols.supervision", _l("督导"), "grid"),
    ("registry.browse", "registry.records", _l("登记"), "people"),
    ("event.inbox", "events.event_list", _l("事件"), "list"),
    ("event.duplicates", "events.duplicates", _l("查重"), "list"),
    ("tasks.assign", "tasks.assigned", _l("交办"), "log"),
    ("duties.assess", "duties.assessment", _l("考核"), "list"),
    ("event.command_centre", "events.command_centre", _l("指挥"), "log"),
    ("hotline.view", "hotline.orders", _l("12345"), "list"),
    ("indicators.view", "indicators.page", _l("指标"), "list"),
    ("org.grid_list", "org.grid_list", _l("网格"), "grid"),
    ("roster.keep", "roster.roster", _l("力量"), "people"),
    ("assist.oversee", "assist.desk", _l("帮办"), "log"),
    ("volunteer.keep", "volunteers.desk", _l("报到"), "people"),
    ("volunteer.serve", "volunteers.serve", _l("服务"), "log"),
    ("enterprise.oversee", "enterprise.overview", _l("企业"), "list"),
    ("admin", "admin.tree", _l("组织"), "grid"),
    ("admin", "admin.users", _l("用户"), "people"),
    ("admin", "admin.categories", _l("类别"), "list"),
    ("admin", "admin.duty_versions", _l("清单"), "list"),
    ("admin", "admin.assist_items", _l("便民"), "list"),
    ("admin", "admin.api_keys", _l("接口"), "log"),
    ("admin", "admin.audit", _l("日志"), "log"),
]


def nav_items(user):
    """(endpoint, label, icon) for the bottom bar / sidebar, drawn from the permissions table."""
    if not user.is_authenticated:
        return []
    items = [("home.index", _l("首页"), "home")]
    items += [(endpoint, label, icon) for action, endpoint, label, icon in NAV if may(user, action)]
    items.append(("home.me", _l("我的"), "me"))
    return items




def js_strings():
    """Translated strings the offline scripts show, sent as a JSON data block (no inline JS)."""
    return {
        "pending": str(_l("待发送 {n} 条")), "fixing": str(_l("需修改 {n} 条")),
        "stale": str(_l("有 {n} 条记录已等待超过一天仍未发送。请连上网络后点“立即同步”；仍不行，"
                        "请在“我的上报”把待发送记录保存为文件交给社区。")),
        "last": str(_l("上次同步 {t}")), "never": str(_l("尚未同步")),
        "waiting": str(_l("等待发送")), "sent": str(_l("已发送")), "fix": str(_l("需要修改")),
        "blocked": str(_l("需原作者登录")),
        "othersWaiting": str(_l("本机还有其他用户的 {n} 条记录未发送，需其本人登录后发送。")),
        "photo": str(_l("照片")), "remove": str(_l("删除")),
        "patrolRunning": str(_l("巡查进行中 · 已 {n} 分钟 · 点此返回")),
        "minutes": str(_l("{n} 分钟")), "km": str(_l("{n} 公里")),
        "handledBy": str(_l("{by} 已处置")), "handledPhoto": str(_l("处置后照片")),
        "noHandledPhoto": str(_l("部门没有上传处置照片")), "failPhoto": str(_l("现场照片（可选）")),
        "confirmPass": str(_l("确认核查通过并结案")),
        "resumePatrol": str(_l("巡查还没有结束：继续巡查")), "fixIt": str(_l("去修改")),
        "selfResolve": str(_l("自行处置")), "resolveNote": str(_l("处置情况（可选）")),
        "resolvePhoto": str(_l("处置后照片")),
        "discard": str(_l("放弃这条")), "confirmDiscard": str(_l("确定放弃？不会再发送")),
        "kinds": {"event.report": str(_l("随手拍")), "event.transition": str(_l("现场核查")),
                  "registry.create": str(_l("新登记")), "registry.edit": str(_l("登记修改")),
                  "registry.visit": str(_l("走访")), "task.report": str(_l("任务记录")),
                  "patrol.start": str(_l("巡查开始")), "patrol.chunk": str(_l("巡查轨迹")),
                  "patrol.stop": str(_l("巡查结束")), "patrol.checkin": str(_l("巡查打卡"))},
        "maxPhotos": str(_l("最多 9 张照片")), "badPhoto": str(_l("这张照片无法读取")),
        "manualPoint": str(_l("已在地图上手动选点")), "gpsPoint": str(_l("已定位")),
        "noGps": str(_l("无法定位，请在地图上选点")), "locating": str(_l("正在定位…")),
        "poorGps": str(_l("定位精度差，可在地图上选点")), "needCategory": str(_l("请选择类别")),
        "needDescription": str(_l("请填写情况描述")), "needLocation": str(_l("需要位置")),
        "needPhoto": str(_l("至少需要 1 张照片")),
        "toCheck": str(_l("待我核查")), "pass": str(_l("核查通过")), "failCheck": str(_l("不通过，返工")),
        "why": str(_l("核查说明（不通过时必填）")),
        "states": {"reported": str(_l("已上报")), "accepted": str(_l("已立案")),
                   "dispatched": str(_l("已派遣")), "in_progress": str(_l("处置中")),
                   "closed": str(_l("已结案")), "checked": str(_l("核查结果等待发送")),
                   "refused": str(_l("不予立案"))},
        "nearby": str(_l("相距 {m} 米 · {d} 天前")), "same": str(_l("同一问题")),
        "joined": str(_l("已选：同一问题")), "supportLabel": str(_l("补充上报")),
        "stageDue": str(_l("{stage}时限 {t}")), "stageLate": str(_l("（已超时）")),
        "news": {"merged": str(_l("已合并到原事件：{note}")), "dispatched": str(_l("已派遣给 {by}")),
                 "handled": str(_l("{by} 已处置，请到现场核查")), "closed": str(_l("已结案")),
                 "refused": str(_l("不予立案：{note}"))},
    }


# Counts on the navigation, {endpoint: n}: each feature registers its own (events: the inbox and
# reports to check; tasks: tasks not started, approvals), so this module imports none of them.
_BADGE_SOURCES = {}


def register_badges(name, counts):
    """``counts(user) -> {endpoint: n}``, asked on every signed-in page."""
    _BADGE_SOURCES[name] = counts


def _badges():
    if not current_user.is_authenticated:
        return {}
    badges = {}
    for counts in _BADGE_SOURCES.values():
        badges.update(counts(current_user))
    return {k: v for k, v in badges.items() if v}


def local_time(value, pattern="yyyy-MM-dd HH:mm"):
    """A stored (naive UTC) time in the configured local zone, with a CLDR pattern: Flask-Babel
    converts it, so pages, exports and the phone (``data-tz``) agree. A date (a due day) is
    already local and is only formatted."""
    if not value:
        return ""
    if not isinstance(value, datetime):
        return format_date(value, pattern)
    return format_datetime(value, pattern)


def install_template_helpers(app):
    app.add_template_filter(local_time, "local")
    app.add_template_global(geo.outline, "grid_outline")

    @app.context_processor
    def _helpers():
        locale = str(get_locale() or "zh_Hans")
        return {
            "ROLE_LABELS": ROLE_LABELS,
            "LEVEL_LABELS": LEVEL_LABELS,
            "GRID_KIND_LABELS": GRID_KIND_LABELS,
            "nav_items": nav_items(current_user),
            "may": lambda action, obj=None: may(current_user, action, obj),
            "static_rev": static_rev,
            "tz_offsets": clock.phone_offsets(),
            "html_lang": "zh-Hans" if locale.startswith("zh") else "en",
            "current_locale": locale,
            "language_form": LanguageForm(),
            "offline_pages": offline_pages(current_user),
            "badges": _badges(),
            "js_strings": js_strings() if current_user.is_authenticated else {},
        }

"""Template helpers: role names, navigation per role, static files by content revision."""
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .auth.forms import LanguageForm

ROLE_LABELS = {
    "grid_worker": _l("专职网格员"),
    "part_time": _l("兼职网格员"),
    "grid_leader": _l("网格长"),
    "secretary": _l("社区书记"),
    "street": _l("街道网格化服务中心"),
    "command": _l("区城市运行指挥中心"),
    "department": _l("职能部门"),
    "admin": _l("系统管理员"),
}
LEVEL_LABELS = {"district": _l("区"), "street": _l("街道"), "community": _l("社区")}
GRID_KIND_LABELS = {"basic": _l("基础网格"), "exclusive": _l("专属网格")}


def nav_items(user):
    """(endpoint, label, icon) for the bottom bar / sidebar; at most five on a phone."""
    if not user.is_authenticated:
        return []
    roles = user.roles
    items = [("home.index", _l("首页"), "home")]
    if roles & {"grid_worker", "grid_leader", "part_time", "secretary", "street", "command"}:
        items.append(("org.grid_list", _l("网格"), "grid"))
    if roles & {"secretary", "street", "command"}:
        items.append(("org.people", _l("人员"), "people"))
    if "admin" in roles:
        items += [
            ("admin.tree", _l("组织"), "grid"),
            ("admin.users", _l("用户"), "people"),
            ("admin.audit", _l("日志"), "log"),
        ]
    items.append(("home.me", _l("我的"), "me"))
    return items


@lru_cache(maxsize=256)
def _file_revision(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


def static_rev(filename: str) -> str:
    """URL of a static file with its content hash, so caches can keep it forever."""
    path = Path(current_app.static_folder) / filename
    rev = _file_revision(str(path), path.stat().st_mtime)
    return url_for("static", filename=filename, v=rev)


def install_template_helpers(app):
    @app.context_processor
    def _helpers():
        locale = str(get_locale() or "zh_Hans")
        return {
            "ROLE_LABELS": ROLE_LABELS,
            "LEVEL_LABELS": LEVEL_LABELS,
            "GRID_KIND_LABELS": GRID_KIND_LABELS,
            "nav_items": nav_items(current_user),
            "static_rev": static_rev,
            "html_lang": "zh-Hans" if locale.startswith("zh") else "en",
            "current_locale": locale,
            "language_form": LanguageForm(),
        }

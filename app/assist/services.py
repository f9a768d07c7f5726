"""帮办代办: requests a worker makes for a resident, their moves, the secretary's view, and the
duty evidence they give. Pages and the sync push both call these; nothing here commits."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from .. import clock
from ..errors import Conflict, Forbidden, Rejected
from ..events import workcal
from ..extensions import db
from ..ids import is_uuid
from ..media.services import own_photos, photo_holder, rows_naming
from ..registry.models import RegistryRecord
from ..registry.services import record_rule
from ..scope.permissions import may
from ..scope.services import VIEW, rule, scope_for
from ..sync.services import record_handler
from .models import AssistRequest, AssistStep, ConvenienceItem

STATES = {
    "accepted": _l("已受理"), "materials": _l("材料已收齐"), "submitted": _l("已提交办理"),
    "done": _l("已办结"), "refused": _l("未获办理"),
}
OPEN_STATES = ("accepted", "materials", "submitted")
# Each state's next steps: forward one stage, or refused (with the reason) at any open stage.
NEXT = {"accepted": ("materials", "refused"), "materials": ("submitted", "refused"),
        "submitted": ("done", "refused")}
CONSENT_METHODS = {"in_person": _l("本人当面同意"), "written": _l("本人书面委托"),
                   "family": _l("家属代为同意（本人知情）")}


@rule(AssistRequest)
def _request_rule(user, request, action):
    """The worker who made it, and the office over its grid (which only looks)."""
    if request.worker_id == user.id:
        return True
    return action == VIEW and may(user, "assist.oversee") and scope_for(user).covers_grid(request.grid_id)


@rule(ConvenienceItem)
def _item_rule(user, item, action):
    """The catalogue is open to every signed-in user; the admin keeps it."""
    return action == VIEW or may(user, "assist.catalogue")


@rule(AssistStep)
def _step_rule(user, step, action):
    return action == VIEW and _request_rule(user, step.request, VIEW)


@photo_holder
def _step_photos(media):
    """A request's receipts and materials, by the worker who took them."""
    return rows_naming(AssistStep, AssistStep.photos, media, AssistStep.actor_id)


def create_request(user, request_id, data, at=None):
    """A request recorded for a resident (maybe offline days ago). Raises Rejected / Forbidden."""
    if not may(user, "assist.help"):
        raise Forbidden(_l("只有网格员可以帮办代办"))
    if not is_uuid(request_id):
        raise Rejected({"record_id": [str(_l("记录编号必须是 UUID"))]})
    if db.session.get(AssistRequest, request_id) is not None:
        raise Conflict()  # the record id is taken: answered conflict, record_exists
    errors = {}
    item_id = data.get("item_id")
    item = db.session.get(ConvenienceItem, item_id) if isinstance(item_id, int) else None
    if item is None or not item.active:
        errors["item_id"] = [str(_l("请选择便民事项"))]
    resident_id = data.get("resident_id")
    resident = db.session.get(RegistryRecord, resident_id) if isinstance(resident_id, str) else None
    if resident is None or resident.kind != "person" or not record_rule(user, resident, VIEW) \
            or not scope_for(user).covers_grid(resident.grid_id):
        errors["resident_id"] = [str(_l("请从登记的实有人口中选择居民"))]
    if data.get("consent") is not True:
        errors["consent"] = [str(_l("代办需要居民本人同意"))]
    method = data.get("consent_method")
    if method not in CONSENT_METHODS:
        errors["consent_method"] = [str(_l("请选择居民同意的方式"))]
    note = str(data.get("note") or "").strip()
    if len(note) > 1000:
        errors["note"] = [str(_l("说明最多 1000 字"))]
    if errors:
        raise Rejected(errors)
    photos = own_photos(user, data.get("photos"))
    moment = clock.recorded_at(at)
    due = workcal.add_working_days(clock.to_local(moment), item.time_limit_days).date()
    request = AssistRequest(id=request_id, item_id=item.id, resident_id=resident.id, grid_id=resident.grid_id,
                            worker_id=user.id, state="accepted", consent_method=method, consent_at=moment,
                            note=note, due_on=due, created_at=moment)
    request.steps.append(AssistStep(to_state="accepted", actor_id=user.id, note=note, photos=photos,
                                    at=moment))
    db.session.add(request)
    db.session.flush()
    return request


def advance(user, request_id, data, at=None):
    """The next step of the worker's own request. Raises Rejected / Forbidden."""
    request = db.session.get(AssistRequest, request_id) if isinstance(request_id, str) else None
    if request is None or request.worker_id != user.id:
        raise Rejected({"record_id": [str(_l("帮办记录不存在或不是你的"))]}, code="not_found")
    to = data.get("to")
    if to not in NEXT.get(request.state, ()):
        raise Rejected({"to": [str(_l("当前为“%(s)s”，不能改为“%(t)s”", s=STATES[request.state],
                                     t=STATES.get(to, to)))]}, code="illegal")
    note = str(data.get("note") or "").strip()
    errors = {}
    if to == "refused" and not note:
        errors["note"] = [str(_l("请写明未获办理的原因"))]
    if len(note) > 1000:
        errors["note"] = [str(_l("说明最多 1000 字"))]
    satisfaction = data.get("satisfaction")
    if satisfaction is not None and (to != "done" or not isinstance(satisfaction, int)
                                     or isinstance(satisfaction, bool) or not 1 <= satisfaction <= 5):
        errors["satisfaction"] = [str(_l("满意度为 1–5，办结时填写"))]
    if errors:
        raise Rejected(errors)
    photos = own_photos(user, data.get("photos"))
    moment = clock.recorded_at(at)
    request.state = to
    request.version += 1
    if to in ("done", "refused"):
        request.done_at = moment
    if satisfaction is not None:
        request.satisfaction = satisfaction
    request.steps.append(AssistStep(to_state=to, actor_id=user.id, note=note, photos=photos, at=moment))
    db.session.flush()
    return request


def record_callback(user, request, satisfaction, note=""):
    """The secretary's call-back (回访) after completion: how satisfied the resident is."""
    if not (may(user, "assist.oversee") and _request_rule(user, request, VIEW)):
        raise Forbidden(_l("你不能回访这条帮办记录"))
    if request.state != "done":
        raise Rejected({"satisfaction": [str(_l("办结后才能回访"))]}, code="illegal")
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise Rejected({"satisfaction": [str(_l("满意度为 1–5，办结时填写"))]})
    request.satisfaction, request.satisfaction_note = satisfaction, (note or "").strip()[:300]
    request.version += 1
    db.session.flush()
    return request


record_handler("assist.create", create_request, lambda r: {
    "record_id": r.id, "version": r.version, "due_on": r.due_on.isoformat()})
record_handler("assist.advance", advance,
               lambda r: {"record_id": r.id, "version": r.version, "state": r.state})


# --- what the worker and the office see ------------------------------------------------------

def catalogue():
    return ConvenienceItem.query.filter_by(active=True).order_by(ConvenienceItem.sort_order).all()


def my_requests(user):
    return (AssistRequest.query.filter_by(worker_id=user.id)
            .order_by(AssistRequest.state.in_(OPEN_STATES).desc(), AssistRequest.due_on).all())


def request_json(request):
    """What the worker's page carries of a request. No resident's data: the page is kept for
    offline use, and the phone names the resident from its own pulled registry."""
    return {"id": request.id, "item_id": request.item_id, "item": request.item.name,
            "resident_id": request.resident_id,
            "state": request.state, "due_on": request.due_on.isoformat(), "version": request.version,
            "satisfaction": request.satisfaction}


def desk_query(user, state=None, overdue=False, item_id=None):
    scope = scope_for(user)
    query = AssistRequest.query.filter(scope.grid_clause(AssistRequest.grid_id))
    if state in STATES:
        query = query.filter(AssistRequest.state == state)
    if overdue:
        query = query.filter(AssistRequest.state.in_(OPEN_STATES), AssistRequest.due_on < clock.local_today())
    if item_id:
        query = query.filter(AssistRequest.item_id == item_id)
    return query.options(db.joinedload(AssistRequest.item), db.joinedload(AssistRequest.resident),
                         db.joinedload(AssistRequest.worker)).order_by(AssistRequest.created_at.desc())


def desk_summary(user):
    """Counts per state, overdue, and the mean satisfaction of those done, in the user's scope."""
    scope = scope_for(user)
    in_scope = scope.grid_clause(AssistRequest.grid_id)
    by_state = dict(db.session.execute(db.select(AssistRequest.state, func.count()).where(in_scope)
                                       .group_by(AssistRequest.state)).all())
    overdue = db.session.execute(db.select(func.count()).where(
        in_scope, AssistRequest.state.in_(OPEN_STATES), AssistRequest.due_on < clock.local_today())).scalar()
    rated = db.session.execute(
        db.select(func.avg(AssistRequest.satisfaction), func.count(AssistRequest.satisfaction))
        .where(in_scope, AssistRequest.satisfaction.isnot(None))).one()
    return {"by_state": by_state, "overdue": overdue or 0,
            "satisfaction": round(float(rated[0]), 2) if rated[0] is not None else None, "rated": rated[1]}


def is_overdue(request):
    return request.state in OPEN_STATES and request.due_on < clock.local_today()


def duty_evidence(item, lo, hi):
    """Requests completed between [lo, hi) whose convenience item counts toward ``item``."""
    worker = AssistRequest.worker_id
    query = (db.select(worker, func.count()).select_from(AssistRequest)
             .join(ConvenienceItem, ConvenienceItem.id == AssistRequest.item_id)
             .where(ConvenienceItem.duty_code == item.code, AssistRequest.state == "done",
                    AssistRequest.done_at >= lo, AssistRequest.done_at < hi))
    return worker, query



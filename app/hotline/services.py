"""12345 hotline intake: orders by an authenticated JSON POST or an XLSX file, each an event on
the closed loop with its order number and due date; sent back only with a reason; closed only
after the satisfaction call-back (回访)."""
import re
import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l

from .. import clock
from ..errors import Forbidden, Rejected
from ..events import workcal
from ..events.models import Event, EventCategory
from ..exports import TableError, read_table
from ..extensions import db
from ..org.models import Grid
from ..org.services import locate_grid
from ..registry import privacy
from ..registry.forms import PHONE_RE
from ..scope.permissions import may
from ..scope.services import scope_for
from ..sync.services import log_change
from .models import HotlineOrder

NORMAL_DAYS, COMPLEX_DAYS = 7, 15
MAX_BATCH = 500
YES = (True, 1, "是", "true", "True", "TRUE", "1", "y", "Y")
SOURCE = "hotline"
# The upload's columns (the JSON fields in brackets).
COLUMNS = {"工单编号": "order_no", "类别编码": "category_code", "诉求内容": "description",
           "地址": "address", "经度": "long", "纬度": "lat", "网格编码": "grid_code", "复杂工单": "complex",
           "来电人": "caller_name", "来电号码": "caller_phone", "受理时间": "received_at"}


def _text(order, name, limit, errors):
    """A text field as sent: a string (or a number, as a spreadsheet gives one), no longer than
    ``limit`` and with no NUL; anything else is an error on that field, never cut or coerced."""
    value = order.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors[name] = [str(_l("须为文字"))]
        return ""
    text = str(value).strip()
    if len(text) > limit:
        errors[name] = [str(_l("最多 %(n)d 字", n=limit))]
    elif "\x00" in text:
        errors[name] = [str(_l("文字中不能含有空字符"))]
    return text


def _received(value, channel):
    """When the hotline took the order. A file's times (a date cell, or text with no zone) are the
    office's local time; the API's are ISO 8601 and UTC unless they say otherwise."""
    if isinstance(value, datetime):
        return clock.to_utc(value)
    if not isinstance(value, str) or not value.strip():
        return None
    if channel == "file" and not re.search(r"(Z|[+-]\d\d:?\d\d)$", value.strip()):
        try:
            return clock.to_utc(datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return clock.client_time(value)


def _number(value, low, high):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def take_order(reporter, order, channel):
    """One hotline order as an event. Returns (event, created); raises Rejected with every
    field's problem."""
    if not isinstance(order, dict):
        raise Rejected({"order": [str(_l("工单须为 JSON 对象"))]})
    errors: dict = {}
    order_no = _text(order, "order_no", 40, errors)
    if not order_no and "order_no" not in errors:
        errors["order_no"] = [str(_l("缺少工单编号"))]
    existing = None
    if order_no and not errors:
        existing = HotlineOrder.query.filter_by(order_no=order_no).first()
    if existing is not None:
        return existing.event, False  # the same order sent again: one event
    code = _text(order, "category_code", 32, errors)
    category = EventCategory.query.filter_by(code=code, active=True).first()
    if category is None or category.parent_id is None:
        errors["category_code"] = [str(_l("类别编码无效（须为小类编码）"))]
    description = _text(order, "description", 2000, errors)
    if not description and "description" not in errors:
        errors["description"] = [str(_l("缺少诉求内容"))]
    lat, lon = _number(order.get("lat"), -90, 90), _number(order.get("long"), -180, 180)
    grid = None
    if lat is not None and lon is not None:
        grid = locate_grid(lon, lat)
    elif order.get("grid_code"):
        grid = Grid.query.filter_by(code=_text(order, "grid_code", 32, errors).upper()).first()
        if grid is not None:
            point = grid.shape.representative_point()
            lon, lat = point.x, point.y
    if grid is None:
        errors["grid_code"] = [str(_l("需要落在本区网格内的经纬度，或有效的网格编码"))]
    phone = _text(order, "caller_phone", 20, errors).replace("-", "").replace(" ", "")
    if phone and not PHONE_RE.match(phone):
        errors["caller_phone"] = [str(_l("电话号码格式不正确"))]
    received = _received(order.get("received_at"), channel)
    if order.get("received_at") not in (None, "") and received is None:
        errors["received_at"] = [str(_l("受理时间须为 ISO 8601 时间"))]
    address = _text(order, "address", 200, errors)
    name = _text(order, "caller_name", 60, errors)
    if errors:
        raise Rejected(errors)
    received = min(received or clock.now(), clock.now())
    complex_ = order.get("complex") in YES
    days = COMPLEX_DAYS if complex_ else NORMAL_DAYS
    # The caller's words go to phones and lists: numbers in them are masked (the caller's own
    # number is kept apart, encrypted, for the call-back).
    text = privacy.mask_numbers_in_text(description + (f"（{address}）" if address else ""))
    event = Event(id=str(uuid.uuid4()), category_id=category.id, description=text, lon=lon, lat=lat,
                  grid_id=grid.id, urgency="normal", source=SOURCE, reporter_id=reporter.id, state="reported",
                  level="community", reported_at=received, received_at=clock.now(), version=1,
                  deadline_at=clock.to_utc(workcal.add_working_days(clock.to_local(received), days)))
    event.hotline = HotlineOrder(order_no=order_no, complex=complex_, channel=channel, received_at=received,
                                 caller_name_masked=(name[:1] + "**") if name else "",
                                 caller_phone_cipher=privacy.encrypt(phone or None),
                                 caller_phone_masked=privacy.mask_phone(phone))
    db.session.add(event)
    log_change("event", event.id, grid_id=grid.id, owner_id=reporter.id)
    db.session.flush()
    return event, True


def take_orders(reporter, orders, channel):
    """Each order on its own (one bad order does not hold back the rest): the answers in order."""
    answers = []
    for order in orders[:MAX_BATCH]:
        try:
            with db.session.begin_nested():
                event, created = take_order(reporter, order, channel)
            answers.append({"order_no": event.hotline.order_no, "status": "created" if created else "exists",
                            "event_id": event.id, "due_at": event.deadline_at.isoformat() + "Z"})
        except Rejected as exc:
            answers.append({"order_no": order.get("order_no") if isinstance(order, dict) else None,
                            "status": "rejected", "errors": exc.fields})
    return answers


def import_file(user, raw, filename=""):
    """An office's XLSX (or CSV) of orders: all rows or none. (created, exists, errors)."""
    if not may(user, "hotline.intake"):
        raise Forbidden(_l("你不能导入 12345 工单"))
    try:
        rows = read_table(raw, filename)
    except TableError as exc:
        return 0, 0, [(0, str(exc))]
    if rows and "工单编号" not in rows[0]:
        return 0, 0, [(1, str(_l("缺少列：%(cols)s", cols="工单编号")))]
    created = exists = 0
    errors = []
    with db.session.begin_nested() as nested:
        for line, row in enumerate(rows, start=2):
            order = {COLUMNS[k]: v for k, v in row.items() if k in COLUMNS}
            try:
                with db.session.begin_nested():
                    _event, new = take_order(user, order, "file")
                created, exists = created + new, exists + (not new)
            except Rejected as exc:
                errors.append((line, "；".join(m for ms in exc.fields.values() for m in ms)))
        if errors:
            nested.rollback()
            return 0, 0, errors
    return created, exists, []


def record_callback(user, event, reached, satisfied, note):
    """The satisfaction call-back before closing: reached or not, satisfied or not, a note."""
    order = event.hotline
    if order is None or not may(user, "hotline.callback") or not scope_for(user).covers_grid(event.grid_id):
        raise Forbidden(_l("你不能回访这张工单"))
    if event.state != "handled":
        raise Rejected({"reached": [str(_l("工单处置完成后才能回访"))]}, code="illegal")
    if order.callback_at is not None:
        raise Rejected({"reached": [str(_l("这张工单已回访"))]}, code="exists")
    order.reached, order.satisfied = bool(reached), bool(satisfied) if reached else None
    order.callback_note = (note or "").strip()[:500]
    order.callback_at, order.callback_by = clock.now(), user.id
    db.session.flush()
    return order


def orders_in_scope(user):
    scope = scope_for(user)
    return (Event.query.join(HotlineOrder, HotlineOrder.event_id == Event.id)
            .filter(scope.grid_clause(Event.grid_id), Event.deleted_at.is_(None))
            .options(db.joinedload(Event.category), db.joinedload(Event.grid))
            .order_by(HotlineOrder.received_at.desc()))

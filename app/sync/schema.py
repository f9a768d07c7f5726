"""One schema per mutation kind, checked before any handler runs.

Two layers, both here so that nothing reaches a handler or the database unchecked:
- ``json_tree_errors`` walks the whole mutation once: nesting depth, node count, text that is
  not valid UTF-8 (a lone surrogate from an emoji cut in half), NUL bytes, numbers that are not
  finite or do not fit a 64-bit column.
- a pydantic model per kind (``KIND_SCHEMAS``) checks types (strictly: no "12" for 12, no
  true for 1), required fields, lengths, ranges that fit their columns and whole-string UUIDs.

The handlers then check what needs the database (the category exists, the patrol is this
worker's, the task was handed to them). ``docs/sync-mutations.md`` is written from these models
(``flask sync docs``), and a test keeps it current.
"""
import math
from datetime import UTC
from typing import Annotated, Any, Literal

from flask_babel import lazy_gettext as _l
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, ValidationError, WithJsonSchema

from ..clock import EARLIEST, LATEST, client_time  # noqa: F401  (re-exported)
from ..ids import UUID_RE, is_uuid  # noqa: F401  (re-exported)

INT32 = 2**31 - 1
MAX_DEPTH = 8  # mutation → data → answers → question → list → text is 5 deep
MAX_NODES = 20_000  # 500 fixes × 5 values, with room to spare
JS_SAFE_INT = 2**53


def _uuid(value: str) -> str:
    if not is_uuid(value):
        raise ValueError("uuid")
    return value


# Scalars are strict (a phone that sends "12" for 12, or true for 1, has a bug worth seeing);
# containers are not, so a JSON array fills a tuple.
def _timestamp(value: str) -> str:
    if client_time(value) is None:
        raise ValueError("timestamp")
    return value


Uuid = Annotated[str, Strict(), AfterValidator(_uuid), WithJsonSchema({"type": "string", "format": "uuid"})]
Bool = Annotated[bool, Strict()]


def Text(max_length: int):  # noqa: N802 - reads as a type in the models below
    return Annotated[str, Strict(), Field(max_length=max_length)]


def Int(low: int, high: int):  # noqa: N802
    return Annotated[int, Strict(), Field(ge=low, le=high)]


def Number(low=None, high=None):  # noqa: N802 - a JSON number: int or float, finite
    return Annotated[float, Strict(), Field(ge=low, le=high, allow_inf_nan=False)]


Int32 = Int(-INT32, INT32)
Id = Int(1, INT32)
Lon = Number(-180, 180)
Lat = Number(-90, 90)
Metres = Number(0, 1_000_000)
Timestamp = Annotated[str, Strict(), Field(max_length=40), AfterValidator(_timestamp),
                      WithJsonSchema({"type": "string", "format": "date-time"})]
PhotoList = Annotated[list[Uuid], Field(max_length=9)]


class Schema(BaseModel):
    # Unknown keys are ignored, so an older server takes a newer phone's extra fields.
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


# --- the envelope -------------------------------------------------------------------------------

class Envelope(Schema):
    id: Uuid = Field(description="the mutation's UUID, made on the phone")
    kind: Text(40) = Field(description="one of the kinds below")
    record_id: Uuid = Field(description="the record this mutation creates or changes")
    author_id: Id = Field(description="the user who made it on the phone")
    created_at: Timestamp | None = Field(None, description="when it was made on the phone (UTC, ISO 8601)")
    base_version: Int(0, INT32) | None = Field(
        None, description="the version the phone held (edits and event moves)")
    form_version: Int(0, 1000) | None = Field(
        None, description="the version of the form the phone used")
    data: dict[str, Any] = Field(description="the kind's fields, below")


# --- one model per kind -------------------------------------------------------------------------

class EventReport(Schema):
    """A quick report (随手拍)."""
    category_id: Id = Field(description="a sub-category id from the pulled catalogue")
    description: Text(2000) = Field(description="what the worker saw")
    urgency: Literal["normal", "urgent", "critical"] | None = Field("normal", description="urgency")
    lon: Lon = Field(description="longitude, WGS 84")
    lat: Lat = Field(description="latitude, WGS 84")
    accuracy: Metres | None = Field(None, description="GPS accuracy in metres")
    location_manual: Bool | None = Field(None, description="the point was picked on the map")
    photos: PhotoList = Field(description="1–9 uploaded photo UUIDs")


class EventSupportSchema(Schema):
    """The same problem as an open event: added to it as a supporting report (record_id is the
    supporting report's UUID), no new case."""
    event_id: Uuid = Field(description="the open event it supports, from the pull")
    note: Text(2000) | None = Field(None, description="what the worker saw")
    photos: Annotated[list[Uuid], Field(min_length=1, max_length=9)] = Field(
        description="1–9 uploaded photo UUIDs")


class EventTransition(Schema):
    """A move the reporting worker makes on the phone."""
    action: Literal["check_pass", "check_fail", "self_resolve"] = Field(description="the move")
    note: Text(2000) | None = Field(None, description="why (required for check_fail)")
    photos: PhotoList | None = Field(None, description="uploaded photo UUIDs")


Fix = tuple[
    Number(EARLIEST.replace(tzinfo=UTC).timestamp(), LATEST.replace(tzinfo=UTC).timestamp()),
    Lon, Lat,
    Metres | None,
]
Gap = tuple[Timestamp, Timestamp, Literal["hidden", "gps_lost", "left"]]


class PatrolStart(Schema):
    """Start a patrol (record_id is the patrol's UUID)."""
    started_at: Timestamp = Field(description="when it started")
    grid_id: Id | None = Field(None, description="the grid patrolled (default: the worker's first)")


class PatrolChunk(Schema):
    """A piece of the trace (record_id is the patrol)."""
    seq: Int(0, 1_000_000) = Field(description="the chunk's number, from 0")
    points: Annotated[list[Fix], Field(max_length=500)] = Field(
        description="fixes: [epoch seconds, lon, lat, accuracy m]")
    gaps: Annotated[list[Gap], Field(max_length=200)] | None = Field(
        None, description="[start, end, 'hidden' | 'gps_lost' | 'left']")


class PatrolStop(Schema):
    """Stop a patrol (record_id is the patrol)."""
    ended_at: Timestamp | None = Field(None, description="when it ended; absent: at its last fix")


class PatrolCheckin(Schema):
    """A check-in at a place (record_id is the check-in's UUID)."""
    patrol_id: Uuid | None = Field(None, description="the patrol it belongs to")
    lon: Lon = Field(description="longitude")
    lat: Lat = Field(description="latitude")
    accuracy: Metres | None = Field(None, description="GPS accuracy in metres")
    note: Text(1000) | None = Field(None, description="a note")
    photo_id: Uuid | None = Field(None, description="an uploaded photo's UUID")
    link_kind: Literal["record", "event", ""] | None = Field(None, description="what it is linked to")
    link_id: Text(36) | None = Field(None, description="the linked record's or event's id")


FieldValue = (
    Text(2000) | Bool | Int32 | Number()
    | Annotated[list[Text(60)], Field(max_length=50)] | None
)
RegistryFields = Annotated[dict[Text(40), FieldValue], Field(max_length=60)]


class RegistryCreate(Schema):
    """A new registry record (record_id is its UUID)."""
    kind: Literal["person", "building", "room", "site", "object", "organisation"] = Field(
        description="what is registered")
    fields: RegistryFields = Field(description="the kind's form fields (see the registry forms)")


class RegistryEdit(Schema):
    """Changed fields of a record, with the values the phone saw (needs base_version)."""
    fields: RegistryFields = Field(description="the new values")
    base: RegistryFields | None = Field(None, description="the values the phone held before")


class RegistryVisit(Schema):
    """A home visit (record_id is the visit's UUID)."""
    target_id: Uuid = Field(description="the person, room or organisation visited")
    note: Text(2000) = Field(description="what was found")
    photos: PhotoList | None = Field(None, description="uploaded photo UUIDs")


Answer = (
    Text(2000) | Number()
    | Annotated[list[Text(200)], Field(max_length=50)] | None
)


class TaskReport(Schema):
    """Work on a task (record_id is the report's UUID)."""
    task_id: Id = Field(description="the task")
    target_id: Id | None = Field(None, description="the grid target, for riders on several grids")
    note: Text(2000) | None = Field(None, description="what was done")
    photos: PhotoList | None = Field(None, description="uploaded photo UUIDs")
    minutes: Int(0, 1440) | None = Field(None, description="time spent")
    households: Int(0, 10_000) | None = Field(
        None, description="households reached (publicity)")
    answers: Annotated[dict[Text(40), Answer], Field(max_length=100)] | None = Field(
        None, description="survey answers by question id")


Period = Annotated[str, Strict(), Field(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$"),
                  WithJsonSchema({"type": "string", "pattern": "YYYY-MM"})]
Note = Text(1000)


class AssistCreate(Schema):
    """A 帮办代办 request made for a resident, with their consent (record_id is the request's UUID)."""
    item_id: Id = Field(description="a convenience item from the catalogue")
    resident_id: Uuid = Field(description="the resident: a person record the worker may see")
    consent: Bool = Field(description="the resident agreed (must be true)")
    consent_method: Literal["in_person", "written", "family"] = Field(description="how they agreed")
    note: Note | None = Field(None, description="what is asked for")
    photos: PhotoList | None = Field(None, description="uploaded photo UUIDs (a signed authorisation)")


class AssistAdvance(Schema):
    """The next step of one's own request (record_id is the request's UUID)."""
    to: Literal["materials", "submitted", "done", "refused"] = Field(description="the new state")
    note: Note | None = Field(None, description="what happened (required for refused)")
    photos: PhotoList | None = Field(None, description="receipts, materials")
    satisfaction: Int(1, 5) | None = Field(None, description="the resident's satisfaction, when done")


class ServiceClaim(Schema):
    """A party member claims a community's service need (record_id is the claim's UUID)."""
    need_id: Id = Field(description="an open need of the member's community")


class ServiceLog(Schema):
    """The service done on one's claim (record_id is the claim's UUID)."""
    hours: Number(0.25, 24) = Field(description="hours of service")
    note: Note = Field(description="what was done")
    photos: PhotoList | None = Field(None, description="uploaded photo UUIDs")


class EnterpriseNeed(Schema):
    """An enterprise's need (企业诉求), opened as a case on the closed loop (record_id is the
    event's UUID)."""
    enterprise_id: Uuid = Field(description="an enterprise of the officer's grid")
    category_id: Id = Field(description="a sub-category of 企业诉求")
    description: Text(2000) = Field(description="what the enterprise asks for")
    urgency: Literal["normal", "urgent", "critical"] | None = Field("normal", description="urgency")
    photos: PhotoList | None = Field(None, description="uploaded photo UUIDs")


class EnterpriseAnswer(Schema):
    """One enterprise's answer to an economic survey for a month (record_id is the answer's UUID)."""
    survey_id: Id = Field(description="the survey")
    version: Int(1, 1000) = Field(description="the survey version the phone showed")
    enterprise_id: Uuid = Field(description="the enterprise")
    period: Period = Field(description="the month answered for, YYYY-MM")
    answers: Annotated[dict[Text(40), Answer], Field(max_length=100)] = Field(
        description="answers by question id")
    photos: PhotoList | None = Field(None, description="uploaded photo UUIDs (photo answers)")


class EnterpriseScreening(Schema):
    """A risk screening of one enterprise for a month (record_id is the screening's UUID)."""
    enterprise_id: Uuid = Field(description="the enterprise")
    period: Period = Field(description="the month screened, YYYY-MM")
    results: Annotated[dict[Text(40), Literal["ok", "risk", "na"]], Field(max_length=40)] = Field(
        description="per checklist item: ok, risk found, or not applicable")
    notes: Annotated[dict[Text(40), Text(500)], Field(max_length=40)] | None = Field(
        None, description="per item found at risk: what was found")
    photos: PhotoList | None = Field(None, description="uploaded photo UUIDs")


KIND_SCHEMAS: dict[str, type[Schema]] = {
    "assist.create": AssistCreate,
    "assist.advance": AssistAdvance,
    "service.claim": ServiceClaim,
    "service.log": ServiceLog,
    "enterprise.need": EnterpriseNeed,
    "enterprise.answer": EnterpriseAnswer,
    "enterprise.screening": EnterpriseScreening,
    "event.report": EventReport,
    "event.transition": EventTransition,
    "event.support": EventSupportSchema,
    "patrol.start": PatrolStart,
    "patrol.chunk": PatrolChunk,
    "patrol.stop": PatrolStop,
    "patrol.checkin": PatrolCheckin,
    "registry.create": RegistryCreate,
    "registry.edit": RegistryEdit,
    "registry.visit": RegistryVisit,
    "task.report": TaskReport,
}


# --- checking -----------------------------------------------------------------------------------

def _text_problem(text: str):
    if "\x00" in text:
        return _l("文字中不能含有空字符")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _l("文字中有无法识别的字符（可能是被截断的表情符号），请删去后重试")
    return None


def json_tree_errors(value, max_depth=MAX_DEPTH, max_nodes=MAX_NODES) -> dict:
    """{field: [message]} for anything in a parsed JSON value no column can hold.

    The field is the top-level key under which the problem sits.
    """
    errors = {}
    stack = [(value, 0, None)]
    nodes = 0
    while stack:
        node, depth, field = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            errors.setdefault(field or "_", []).append(str(_l("内容过多")))
            break
        if depth > max_depth:
            errors.setdefault(field or "_", []).append(str(_l("嵌套层次过深")))
            continue
        problem = None
        if isinstance(node, str):
            problem = _text_problem(node)
        elif isinstance(node, bool) or node is None:
            pass
        elif isinstance(node, int):
            if abs(node) > JS_SAFE_INT:
                problem = _l("数值过大")
        elif isinstance(node, float):
            if not math.isfinite(node):
                problem = _l("必须是有限的数值")
        elif isinstance(node, dict):
            for key, child in node.items():
                key_problem = _text_problem(key) if isinstance(key, str) else None
                child_field = field if depth else (key if key_problem is None else "_")
                if key_problem:
                    errors.setdefault(child_field, []).append(str(key_problem))
                    continue
                stack.append((child, depth + 1, child_field))
        elif isinstance(node, list):
            stack.extend((child, depth + 1, field) for child in node)
        if problem:
            errors.setdefault(field or "_", []).append(str(problem))
    return errors


_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def _message(error) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return str(_l("必填"))
    if kind == "string_too_long":
        return str(_l("不超过 %(n)d 个字", n=ctx.get("max_length", 0)))
    if kind == "too_long":
        return str(_l("最多 %(n)d 项", n=ctx.get("max_length", 0)))
    if kind in _RANGE_ERRORS:
        return str(_l("超出允许的范围"))
    if kind == "finite_number":
        return str(_l("必须是有限的数值"))
    if kind == "literal_error":
        return str(_l("不是允许的值"))
    if kind == "value_error" and str(ctx.get("error")) == "uuid":
        return str(_l("必须是 UUID"))
    if kind == "value_error" and str(ctx.get("error")) == "timestamp":
        return str(_l("时间格式不正确，或不在 2000–2100 年之间"))
    return str(_l("类型不正确"))


def _errors_from(exc: ValidationError) -> dict:
    errors = {}
    for error in exc.errors(include_url=False, include_input=False):
        field = str(error["loc"][0]) if error["loc"] else "_"
        message = _message(error)
        if message not in errors.setdefault(field, []):
            errors[field].append(message)
    return errors


def mutation_errors(mutation) -> tuple[str, dict]:
    """(code, {field: [message]}) for a pushed mutation; the dict is empty when it may go to its
    handler. The code is ``bad_envelope`` for the envelope, ``invalid`` for the data."""
    if not isinstance(mutation, dict):
        return "bad_envelope", {"_": [str(_l("每条变更必须是一个对象"))]}
    errors = json_tree_errors({k: v for k, v in mutation.items() if k != "data"})
    if errors:
        return "bad_envelope", errors
    try:
        envelope = Envelope.model_validate(mutation)
    except ValidationError as exc:
        return "bad_envelope", _errors_from(exc)
    schema = KIND_SCHEMAS.get(envelope.kind)
    if schema is None:
        return "bad_envelope", {"kind": [str(_l("未知的变更类型"))]}
    errors = json_tree_errors(mutation["data"], max_depth=MAX_DEPTH - 1)
    if errors:
        return "invalid", errors
    try:
        schema.model_validate(mutation["data"])
    except ValidationError as exc:
        return "invalid", _errors_from(exc)
    return "", {}


def photo_refs(mutation) -> list[str]:
    """Every photo a schema-checked mutation names: ``photos``, ``photo_id`` and photo answers.
    The phone uploads, and an outbox file carries, exactly these."""
    data = mutation.get("data") or {}
    refs = list(data.get("photos") or [])
    if data.get("photo_id"):
        refs.append(data["photo_id"])
    for answer in (data.get("answers") or {}).values():
        if is_uuid(answer):
            refs.append(answer)
    return list(dict.fromkeys(r for r in refs if is_uuid(r)))


# --- the docs, from the same models ------------------------------------------------------------

def _type_text(prop: dict, defs: dict) -> str:
    if "$ref" in prop:
        return _type_text(defs[prop["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in prop:
        return " or ".join(dict.fromkeys(_type_text(p, defs) for p in prop["anyOf"]))
    if "enum" in prop or "const" in prop:
        return " \\| ".join(f'`"{v}"`' for v in prop.get("enum", [prop.get("const")]))
    kind = prop.get("type", "any")
    limits = []
    if "maxLength" in prop:
        limits.append(f"≤ {prop['maxLength']} chars")
    if "minimum" in prop or "maximum" in prop:
        limits.append(f"{prop.get('minimum', '…')}–{prop.get('maximum', '…')}")
    if kind == "array":
        if "prefixItems" in prop:
            inner = ", ".join(_type_text(p, defs) for p in prop["prefixItems"])
            kind = f"[{inner}]"
        else:
            kind = f"list of {_type_text(prop.get('items', {}), defs)}"
        if "maxItems" in prop and "prefixItems" not in prop:
            limits.append(f"≤ {prop['maxItems']} items")
    elif kind == "object":
        values = prop.get("additionalProperties")
        kind = f"object of {_type_text(values, defs)}" if isinstance(values, dict) else "object"
        if "maxProperties" in prop:
            limits.append(f"≤ {prop['maxProperties']} keys")
    elif kind == "string" and prop.get("format") == "uuid":
        kind = "UUID"
    elif kind == "string" and prop.get("format") == "date-time":
        kind = "ISO 8601 time, 2000–2100"
    if kind == "null":
        return "null"
    return kind + (f" ({', '.join(limits)})" if limits else "")


def _table(model: type[Schema]) -> list[str]:
    spec = model.model_json_schema()
    defs = spec.get("$defs", {})
    required = set(spec.get("required", []))
    rows = ["| field | type | required | meaning |", "|---|---|---|---|"]
    for name, prop in spec["properties"].items():
        field = model.model_fields[name]
        rows.append(f"| `{name}` | {_type_text(prop, defs)} | {'yes' if name in required else 'no'} "
                    f"| {(field.description or '').replace('|', chr(92) + '|')} |")
    return rows


def markdown() -> str:
    """``docs/sync-mutations.md``: the envelope and each kind's ``data``, from the models."""
    lines = [
        "# Mutation schemas",
        "",
        "Written by `flask sync docs` from `app/sync/schema.py`, the models the server checks every",
        "pushed mutation against before any handler runs; a test fails when this file is stale.",
        "",
        "Every mutation, whatever its kind, is also refused (`rejected`) when anywhere in it:",
        f"- it is nested deeper than {MAX_DEPTH} levels or holds more than {MAX_NODES:,} values;",
        "- a text holds a NUL byte or a lone UTF-16 surrogate (an emoji cut in half);",
        "- a number is NaN, ±Infinity or beyond ±2^53.",
        "",
        "Scalars are strict: `\"12\"` is not a number, `true` is not 1. A number field takes an",
        "integer or a decimal. UUIDs are lower-case, matched whole (a trailing newline is refused).",
        "Unknown keys are ignored. Errors come back per field: the envelope's as",
        "`code: \"bad_envelope\"`, the data's as `code: \"invalid\"`, keyed by the top-level field name.",
        "",
        "## The envelope",
        "",
        *_table(Envelope),
    ]
    for kind, model in KIND_SCHEMAS.items():
        lines += ["", f"## `{kind}`", "", (model.__doc__ or "").strip(), "", *_table(model)]
    return "\n".join(lines) + "\n"

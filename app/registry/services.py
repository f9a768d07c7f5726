"""Registry domain logic shared by the pages and the sync API: create, edit with three-way
merge, review decisions, sensitive tags, reveals, visits."""
import uuid
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from pypinyin import Style, lazy_pinyin
from sqlalchemy import inspect as sa_inspect
from werkzeug.datastructures import MultiDict

from .. import clock
from ..audit import services as audit
from ..errors import Conflict, Forbidden, Rejected
from ..extensions import db
from ..media.models import Media
from ..media.services import photo_holder, rows_naming
from ..org.models import Grid
from ..org.services import locate_grid
from ..scope.permissions import may, roles_for
from ..scope.services import CHANGE, VIEW, rule, scope_for
from ..sync.models import ChangeLog
from ..sync.services import Staged, handler, log_change, stager
from . import privacy
from .forms import KIND_FORMS, PARENT_KIND
from .models import KINDS, PersonTag, RecordRevision, RegistryRecord, Submission, Visit

COLUMNS = ("name", "address", "lon", "lat", "parent_id")
_UNKNOWN = object()  # what a phone saw of a field it did not describe
SECRETS = ("id_number", "phone")
VIEWER_ROLES = roles_for("registry.view")
EDITOR_ROLES = roles_for("registry.edit")


now = clock.now


# --- scope -------------------------------------------------------------------------------

@rule(RegistryRecord)
def record_rule(user, record, action):
    """Residents' data: never part-time riders or departments; staff of the record's grid."""
    scope = scope_for(user)
    if record.deleted_at is not None:
        return False
    roles = scope.roles & (EDITOR_ROLES if action == CHANGE else VIEWER_ROLES)
    return bool(roles) and scope.covers_grid(record.grid_id)


@rule(Visit)
def _visit_rule(user, visit, action):
    """A visit is seen with the record visited; only its author wrote it."""
    if action != VIEW:
        return False
    record = db.session.get(RegistryRecord, visit.record_id)
    return visit.author_id == user.id or (record is not None and record_rule(user, record, VIEW))


@photo_holder
def _visit_photos(media):
    return rows_naming(Visit, Visit.photos, media, Visit.author_id)


def may_see_tags(user, grid_id):
    """Sensitive tags: only the worker, leader and secretary of that grid."""
    scope = scope_for(user)
    return may(user, "registry.see_tags") and not scope.is_admin and scope.covers_grid(grid_id) \
        and (grid_id in scope.grid_ids or "secretary" in scope.roles)


def may_reveal(user, record):
    return may(user, "registry.reveal") and record_rule(user, record, VIEW)


def visible_records_clause(user):
    scope = scope_for(user)
    if not may(user, "registry.view"):
        return db.false()
    return scope.grid_clause(RegistryRecord.grid_id) & RegistryRecord.deleted_at.is_(None)


# --- whole-number lookups ------------------------------------------------------------------

def spend_id_lookup(user, purpose) -> bool:
    """Count one lookup by a whole ID number (a search, or a record's duplicate check). Each
    answers whether that number is registered, so, tried over the candidates a mask leaves, they
    would rebuild it: each is audited (without the number), and a user gets
    ID_LOOKUPS_PER_HOUR of them. False when the budget is spent."""
    from flask import current_app

    from ..audit.models import AuditLog

    limit = current_app.config.get("ID_LOOKUPS_PER_HOUR", 60)
    since = now() - timedelta(hours=1)
    used = db.session.execute(db.select(db.func.count(AuditLog.id)).where(
        AuditLog.actor_id == user.id, AuditLog.action == "registry.id_lookup",
        AuditLog.at >= since)).scalar()
    if used >= limit:
        return False
    audit.record("registry.id_lookup", actor=user, object_type="registry_record",
                 detail={"purpose": purpose}, durable=True)
    db.session.flush()  # counted by the next lookup in this request
    return True


def _lookup_refused():
    return Rejected({"id_number": [str(_l("身份号码查验过于频繁，请一小时后再试"))]}, code="rate_limited")


# --- values --------------------------------------------------------------------------------

def current_values(record):
    values = {c: getattr(record, c) for c in COLUMNS}
    values.update(record.data or {})
    values["id_number"] = record.id_masked or None
    values["phone"] = record.phone_masked or None
    return values


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def form_values(form):
    skip = {"grid_id", "tags"}
    return {name: _clean(field.data) for name, field in form._fields.items() if name not in skip}


PINYIN_MAX = RegistryRecord.__table__.c.name_pinyin.type.length
INITIALS_MAX = RegistryRecord.__table__.c.name_initials.type.length


def _set(record, field, value):
    """Store one field; returns what the history shows (secrets only masked)."""
    if field == "id_number":
        if value and "*" in value:
            return record.id_masked  # a masked value sent back unchanged
        record.id_cipher = privacy.encrypt(value)
        record.id_hash = privacy.keyed_hash(value)
        record.id_masked = privacy.mask_id(value)
        return record.id_masked or None
    if field == "phone":
        if value and "*" in value:
            return record.phone_masked
        digits = (value or "").replace(" ", "")
        record.phone_cipher = privacy.encrypt(digits)
        record.phone_hash = privacy.keyed_hash(digits)
        record.phone_masked = privacy.mask_phone(digits)
        record.phone_tail = digits[-4:] if digits else None
        return record.phone_masked or None
    if field in COLUMNS:
        setattr(record, field, value if value is not None or field not in ("name", "address") else "")
        if field == "name":
            # Cut to their columns: a prefix search needs only the start of a long name.
            record.name_pinyin = "".join(lazy_pinyin(value or "")).lower()[:PINYIN_MAX]
            record.name_initials = "".join(
                lazy_pinyin(value or "", style=Style.FIRST_LETTER)).lower()[:INITIALS_MAX]
        return value
    data = dict(record.data or {})
    if value is None:
        data.pop(field, None)
    else:
        data[field] = value
    record.data = data
    return value


def payload_formdata(fields: dict) -> MultiDict:
    formdata: MultiDict = MultiDict()
    for key, value in (fields or {}).items():
        if isinstance(value, list):
            for item in value:
                formdata.add(key, str(item))
        elif isinstance(value, bool):
            if value:
                formdata.add(key, "y")
        elif value is not None and not isinstance(value, dict):
            formdata.add(key, str(value))
    return formdata


def build_form(kind, fields, form_version=None):
    form_class = KIND_FORMS.get(kind)
    if form_class is None:
        raise Rejected({"kind": [str(_l("未知的登记类型"))]})
    form = form_class(formdata=payload_formdata(fields))
    form.relax_for(form_version if isinstance(form_version, int) else form_class.FORM_VERSION)
    return form


def _errors(form):
    return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


def _check_editor(user):
    if not may(user, "registry.edit"):
        raise Forbidden(_l("你的角色不能登记或修改人员、房屋等信息"))


def _resolve_grid(user, kind, values, requested_grid_id, parent):
    scope = scope_for(user)
    if parent is not None:
        grid_id = parent.grid_id
    elif values.get("lon") is not None and values.get("lat") is not None:
        grid = locate_grid(values["lon"], values["lat"])
        if grid is None:
            raise Rejected({"lon": [str(_l("该位置不在任何网格内"))]})
        grid_id = grid.id
    elif requested_grid_id:
        grid_id = requested_grid_id
    elif len(scope.grid_ids) == 1:
        grid_id = next(iter(scope.grid_ids))
    else:
        raise Rejected({"grid_id": [str(_l("请选择所属网格"))]})
    if not scope.covers_grid(grid_id) or db.session.get(Grid, grid_id) is None:
        raise Rejected({"grid_id": [str(_l("只能登记你负责网格内的信息"))]})
    return grid_id


def _parent(user, kind, parent_id):
    if not parent_id:
        return None
    parent = db.session.get(RegistryRecord, parent_id)
    if parent is None or parent.deleted_at is not None or parent.kind != PARENT_KIND.get(kind) \
            or not record_rule(user, parent, VIEW):
        raise Rejected({"parent_id": [str(_l("所选的上级记录不存在或不可用"))]})
    return parent


def _revision(record, author, changes, source, submission_id=None):
    db.session.add(RecordRevision(record_id=record.id, version=record.version, author_id=author.id,
                                  changes=changes, source=source, submission_id=submission_id))
    log_change("record", record.id, grid_id=record.grid_id)


def set_tags(user, record, tags):
    if record.kind != "person" or tags is None or not may_see_tags(user, record.grid_id):
        return None
    wanted = set(tags)
    existing = {t.tag: t for t in PersonTag.query.filter_by(record_id=record.id)}
    for tag in wanted - set(existing):
        db.session.add(PersonTag(record_id=record.id, tag=tag, created_by=user.id))
    for tag in set(existing) - wanted:
        db.session.delete(existing[tag])
    return sorted(wanted) if wanted != set(existing) else None


def _checked_new_record(user, record_id, kind, fields, form_version):
    """Validate a new record and build it, unsaved: (record, form, changes shown in its history,
    id of a record with the same ID number or None). Raises Rejected or Forbidden. Writes only
    the audit row of a secretary's lookup."""
    form = build_form(kind, fields, form_version)
    if not form.validate():
        raise Rejected(_errors(form))
    values = form_values(form)
    if "*" in (values.get("id_number") or "") + (values.get("phone") or ""):
        raise Rejected({"id_number": [str(_l("请填写完整号码"))]})
    if kind == "person" and values.get("population_type") is None:
        values["population_type"] = "registered"  # the only kind a v1 form knew
    parent = _parent(user, kind, values.get("parent_id"))
    grid_id = _resolve_grid(user, kind, values, form.grid_id.data, parent)
    duplicate = None
    if values.get("id_number"):
        existing = RegistryRecord.query.filter_by(
            id_hash=privacy.keyed_hash(values["id_number"]), deleted_at=None).first()
        if may(user, "registry.reveal"):
            # The secretary (who may reveal numbers anyway) is told at once, as a lookup.
            if not spend_id_lookup(user, "create"):
                raise _lookup_refused()
            if existing is not None:
                raise Rejected({"id_number": [str(_l("该身份号码已登记，请查找已有记录"))]})
        elif existing is not None:
            # Others are not told: "already registered" would confirm a guessed number. The
            # record waits for the secretary, marked as a likely duplicate.
            duplicate = existing.id
    record = RegistryRecord(id=record_id, kind=kind, grid_id=grid_id, created_by=user.id,
                            updated_by=user.id, version=1, data={}, name="")
    changes = {}
    for field, value in values.items():
        shown = _set(record, field, value)
        if value is not None:
            changes[field] = [None, shown]
    if kind == "person" and getattr(form, "birth_date", None):
        record.data = {**record.data, **privacy.birth_fields(form.birth_date, form.sex)}
    record.review_state = "approved" if may(user, "registry.review") else "pending"
    return record, form, changes, duplicate


def create_record(user, record_id, kind, fields, form_version=None, source="phone",
                  submission_id=None):
    _check_editor(user)
    if kind not in KINDS:
        raise Rejected({"kind": [str(_l("未知的登记类型"))]})
    if db.session.get(RegistryRecord, record_id) is not None:
        raise Conflict()
    record, form, changes, duplicate = _checked_new_record(user, record_id, kind, fields, form_version)
    db.session.add(record)
    db.session.flush()
    tags = set_tags(user, record, form.tags.data if "tags" in form._fields else None)
    if tags:
        changes["tags"] = [None, str(_l("已设置"))]
    _revision(record, user, changes, source, submission_id)
    submission = None
    if record.review_state == "pending":
        submission = Submission(id=submission_id or str(uuid.uuid4()), record_id=record.id,
                                grid_id=record.grid_id, op="create", author_id=user.id,
                                applied_version=1, changes=changes, conflicts={},
                                duplicate_of=duplicate)
        db.session.add(submission)
    return record, submission


def _as_it_would_be(record, current, fields):
    """The record's values with the phone's laid over them, to validate as a whole. Secrets are
    decrypted here, on the server, only to validate; they never go back to the phone."""
    merged = {k: v for k, v in current.items() if v is not None}
    for field, cipher in (("id_number", record.id_cipher), ("phone", record.phone_cipher)):
        merged.pop(field, None)
        if cipher:
            merged[field] = privacy.decrypt(cipher)
    merged.update({k: v for k, v in fields.items() if k != "tags" and not (
        k in SECRETS and isinstance(v, str) and "*" in v)})
    merged["grid_id"] = record.grid_id
    if "tags" in fields:
        merged["tags"] = fields["tags"]
    return merged


def _shown(field, value):
    """A value as the phone and the review queue see it: secrets masked."""
    if field not in SECRETS or not value or "*" in value:
        return value
    return privacy.mask_id(value) if field == "id_number" else privacy.mask_phone(value)


def _apply_or_hold(record, fields, proposed, current, base, base_version):
    """Set each changed field, unless the server changed it meanwhile: then it is held, with
    both values, as a conflict for the secretary. Returns (applied, conflicts)."""
    applied, conflicts = {}, {}
    for field in fields:
        if field in ("tags", "grid_id") or field not in proposed:
            continue
        new = proposed[field]
        server = current.get(field)
        new_shown = _shown(field, new)
        if new_shown == server:
            continue  # already so
        # A stale edit that does not say what it saw of a field cannot be trusted over the
        # newer value: it is a conflict for the secretary, never a silent overwrite.
        phone_saw = _clean(base.get(field)) if field in base else _UNKNOWN
        if record.version != base_version and phone_saw != server:
            conflicts[field] = {"server": server, "phone": new_shown}
            if field in SECRETS:  # kept encrypted until the secretary decides
                conflicts[field]["phone_cipher"] = privacy.encrypt(new)
            else:
                conflicts[field]["phone_value"] = new
            continue
        applied[field] = [server, _set(record, field, new)]
    return applied, conflicts


def edit_record(user, record_id, base_version, fields, base, form_version=None, source="phone",
                submission_id=None):
    """Apply the fields a phone changed. A field the server changed meanwhile to a different
    value is not applied: it goes to the secretary with both values (no silent overwrite)."""
    _check_editor(user)
    record = db.session.get(RegistryRecord, record_id)
    if record is None or not record_rule(user, record, VIEW):
        raise Rejected({"record_id": [str(_l("记录不存在或不在你的范围内"))]}, code="not_found")
    if not record_rule(user, record, CHANGE):
        raise Forbidden(_l("你不能修改这条记录"))
    current = current_values(record)
    form = build_form(record.kind, _as_it_would_be(record, current, fields), form_version)
    if not form.validate():
        raise Rejected({k: v for k, v in _errors(form).items()})
    proposed = form_values(form)
    if "parent_id" in fields and proposed.get("parent_id") != record.parent_id:
        # Checked as for a new record, and in the record's own grid: a pushed id could name any
        # record, another community's included.
        parent = _parent(user, record.kind, proposed.get("parent_id"))
        if parent is not None and parent.grid_id != record.grid_id:
            raise Rejected({"parent_id": [str(_l("所选的上级记录不存在或不可用"))]})
    applied, conflicts = _apply_or_hold(record, fields, proposed, current, base or {}, base_version)
    if record.kind == "person" and "id_number" in applied and getattr(form, "birth_date", None):
        record.data = {**record.data, **privacy.birth_fields(form.birth_date, form.sex)}
    if "tags" in fields and "tags" in form._fields and set_tags(user, record, form.tags.data) is not None:
        applied["tags"] = [None, str(_l("已修改"))]
    if not applied and not conflicts:
        return record, None
    if applied:
        record.version += 1
        record.updated_by, record.updated_at = user.id, now()
        _revision(record, user, applied, source if not conflicts else "merge", submission_id)
    reviewer = may(user, "registry.review")
    if reviewer and not conflicts:
        return record, None
    record.review_state = "pending"
    record.review_comment = None
    log_change("record", record.id, grid_id=record.grid_id)
    submission = Submission(id=submission_id or str(uuid.uuid4()), record_id=record.id,
                            grid_id=record.grid_id, op="edit", author_id=user.id,
                            base_version=base_version, applied_version=record.version,
                            changes=applied, conflicts=conflicts, has_conflicts=bool(conflicts))
    db.session.add(submission)
    return record, submission


# --- review ----------------------------------------------------------------------------------

def may_review(user, submission):
    scope = scope_for(user)
    return may(user, "registry.review") and scope.covers_grid(submission.grid_id)


def decide(user, submission, action, comment=None, choices=None):
    """approve | reject | return. ``choices`` resolves conflicts: field → "server" | "phone"."""
    if not may_review(user, submission):
        raise Forbidden(_l("你不能审核这条记录"))
    if submission.state not in ("pending",):
        raise Rejected({"_": [str(_l("这条记录已经审核过了"))]})
    record = submission.record
    if action == "return" and not (comment or "").strip():
        raise Rejected({"comment": [str(_l("退回时请写明需要修改的地方"))]})
    if submission.conflicts and action == "approve":
        missing = [f for f in submission.conflicts if (choices or {}).get(f) not in ("server", "phone")]
        if missing:
            raise Rejected({"choices": [str(_l("请为每个冲突字段选择保留哪个值"))]})
        resolved = {}
        for field, choice in choices.items():
            conflict = submission.conflicts.get(field)
            if conflict and choice == "phone":
                value = (privacy.decrypt(conflict.get("phone_cipher")) if field in SECRETS
                         else conflict.get("phone_value"))
                resolved[field] = [current_values(record).get(field), _set(record, field, value)]
        if resolved:
            record.version += 1
            record.updated_by, record.updated_at = user.id, now()
            _revision(record, user, resolved, "review", submission.id)
    if action == "reject" or (action == "return" and submission.op == "edit"):
        # A returned edit is taken back too: the registry keeps the last approved values while
        # the worker fixes it; the submission keeps what was sent.
        _revert(user, submission)
    submission.state = {"approve": "approved", "reject": "rejected", "return": "returned"}[action]
    submission.comment = (comment or "").strip() or None
    submission.decided_by, submission.decided_at = user.id, now()
    still_pending = Submission.query.filter(Submission.record_id == record.id,
                                            Submission.id != submission.id,
                                            Submission.state == "pending").count()
    if action == "return":
        record.review_state, record.review_comment = "returned", submission.comment
    elif not still_pending:
        record.review_state = "approved" if record.deleted_at is None else "rejected"
        record.review_comment = None
    log_change("record", record.id, grid_id=record.grid_id,
               op="delete" if record.deleted_at is not None else "upsert")
    audit.record(f"registry.{action}", record, role="secretary" if "secretary" in user.roles else None,
                 detail={"submission": submission.id, "comment": submission.comment,
                         "fields": sorted(submission.changes)})
    return submission


def _revert(user, submission):
    record = submission.record
    if submission.op == "create":
        record.deleted_at = now()
        record.version += 1
        _revision(record, user, {"_deleted": [None, True]}, "review", submission.id)
        return
    current = current_values(record)
    reverted = {}
    for field, (old, new) in submission.changes.items():
        if field in SECRETS or field == "tags":
            continue  # the old plain text was never kept; the secretary edits these by hand
        if current.get(field) == new:
            reverted[field] = [new, _set(record, field, old)]
    if reverted:
        record.version += 1
        record.updated_by, record.updated_at = user.id, now()
        _revision(record, user, reverted, "review", submission.id)


def reveal(user, record, field):
    """The full ID number or phone, for roles allowed to see it; every reveal is audited."""
    if field not in SECRETS or not may_reveal(user, record):
        raise Forbidden(_l("你不能查看完整号码"))
    value = privacy.decrypt(record.id_cipher if field == "id_number" else record.phone_cipher)
    audit.record("registry.reveal", record, detail={"field": field})
    return value


# --- sync handlers ------------------------------------------------------------------------------

@handler("registry.create")
def apply_create(user, mutation):
    data = mutation.get("data") or {}
    record, submission = create_record(user, mutation["record_id"], data.get("kind"),
                                       data.get("fields") or {}, mutation.get("form_version"),
                                       submission_id=mutation["id"])
    return {"record_id": record.id, "version": record.version,
            "review": record.review_state}


@stager("registry.create")
def stage_create(user, mutation):
    """A new record written with the rest of its run (one INSERT per table for a run of them).
    One with a parent, an ID number or tags goes to the handler instead: its parent may be a
    record made earlier in the same batch (a building, then its rooms), and its ID number is
    checked against those too, which only rows already written can show."""
    data = mutation.get("data") or {}
    fields, kind = data.get("fields") or {}, data.get("kind")
    if fields.get("parent_id") or fields.get("id_number") or fields.get("tags"):
        return None
    _check_editor(user)
    if kind not in KINDS:
        raise Rejected({"kind": [str(_l("未知的登记类型"))]})
    # A record id already taken is caught by the primary key: the run is then applied one by
    # one, and the handler answers it.
    record, _form, changes, _duplicate = _checked_new_record(  # no ID number here: no duplicate
        user, mutation["record_id"], kind, fields, mutation.get("form_version"))
    state = sa_inspect(record).dict
    values = {c.key: state[c.key] for c in RegistryRecord.__table__.columns if c.key in state}
    rows = [(RegistryRecord, values),
            (RecordRevision, {"record_id": record.id, "version": 1, "author_id": user.id,
                              "changes": changes, "source": "phone", "submission_id": mutation["id"]}),
            (ChangeLog, {"object_type": "record", "object_id": record.id, "grid_id": record.grid_id,
                         "owner_id": None, "op": "upsert"})]
    if record.review_state == "pending":
        rows.append((Submission, {"id": mutation["id"], "record_id": record.id,
                                  "grid_id": record.grid_id, "op": "create", "author_id": user.id,
                                  "applied_version": 1, "changes": changes, "conflicts": {}}))
    return Staged(rows, {"record_id": record.id, "version": 1, "review": record.review_state})


@handler("registry.edit")
def apply_edit(user, mutation):
    data = mutation.get("data") or {}
    base_version = mutation.get("base_version")
    if not isinstance(base_version, int):
        raise Rejected({"base_version": [str(_l("修改需要 base_version"))]})
    record, submission = edit_record(user, mutation["record_id"], base_version,
                                     data.get("fields") or {}, data.get("base") or {},
                                     mutation.get("form_version"), submission_id=mutation["id"])
    return {"record_id": record.id, "version": record.version,
            "conflicts": sorted(submission.conflicts) if submission else []}


@handler("registry.visit")
def apply_visit(user, mutation):
    data = mutation.get("data") or {}
    if not may(user, "registry.edit"):
        raise Forbidden(_l("你的角色不能登记走访"))
    target = db.session.get(RegistryRecord, str(data.get("target_id") or ""))
    if target is None or not record_rule(user, target, VIEW) or target.kind not in (
            "person", "room", "organisation"):
        raise Rejected({"target_id": [str(_l("走访对象不存在或不在你的范围内"))]})
    note = (data.get("note") or "").strip()
    if not note or len(note) > 2000:
        raise Rejected({"note": [str(_l("请填写走访情况（不超过 2000 字）"))]})
    photos = [str(p) for p in data.get("photos") or []][:9]
    owned = {m.id for m in Media.query.filter(Media.id.in_(photos), Media.owner_id == user.id)}
    if set(photos) - owned:
        raise Rejected({"photos": [str(_l("照片尚未上传"))]}, code="media_missing")
    if db.session.get(Visit, mutation["record_id"]) is not None:
        raise Conflict()
    from ..clock import client_time

    visit = Visit(id=mutation["record_id"], record_id=target.id, grid_id=target.grid_id,
                  author_id=user.id, note=note, photos=photos,
                  visited_at=client_time(mutation.get("created_at")) or now())
    db.session.add(visit)
    log_change("visit", visit.id, grid_id=visit.grid_id, owner_id=user.id)
    return {"record_id": visit.id, "version": 1}

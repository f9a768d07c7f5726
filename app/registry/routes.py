"""Registry pages: search and list, detail with history, online create/edit, the review queue,
reveals, exports, and the phone's offline registry app."""
import json
import uuid

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..audit import services as audit
from ..auth.models import User
from ..errors import Conflict, Forbidden, Rejected
from ..exports import table_download
from ..extensions import db
from ..org.models import Grid
from ..scope.permissions import may, requires
from ..scope.services import CHANGE, get_or_404, scope_for
from ..transaction import unit_of_work
from ..ui import local_time
from .forms import KIND_FORMS, KIND_LABELS, PARENT_KIND, PART_CLASSES, SENSITIVE_TAGS
from .models import KINDS, PersonTag, RecordRevision, RegistryRecord, Submission, Visit
from .privacy import check_id_number, decrypt, keyed_hash, normalise_id
from .pull import pending_for, record_json
from .services import (
    create_record,
    current_values,
    decide,
    edit_record,
    may_reveal,
    may_review,
    may_see_tags,
    reveal,
    spend_id_lookup,
    visible_records_clause,
)

bp = Blueprint("registry", __name__)
PER_PAGE = 50
REVIEW_PER_PAGE = 20
REVIEW_LABELS = {"pending": _l("待审核"), "approved": _l("已审核"), "returned": _l("已退回修改"),
                 "rejected": _l("已驳回")}


def _is_local(url):
    """Only a path on this site is followed back after a decision."""
    return bool(url) and url.startswith("/review") and "//" not in url and "\\" not in url


@bp.context_processor
def _labels():
    return {"review_labels": REVIEW_LABELS}


@bp.before_request
@login_required
def _signed_in():
    # Residents' data: riders and departments have no page here at all.
    if not may(current_user, "registry.view"):
        abort(404)


def search_query(user, kind=None, q=""):
    """Records in scope matching a name (or its pinyin / initials), a whole ID number, a phone
    number or its last four digits, or an address; prefix matches use the indexes."""
    query = RegistryRecord.query.filter(visible_records_clause(user))
    if kind:
        query = query.filter(RegistryRecord.kind == kind)
    q = (q or "").strip()
    if q:
        digits = q.replace(" ", "")
        if len(digits) == 18 and digits[:17].isdigit():
            if not spend_id_lookup(user, "search"):
                g.id_lookup_refused = True
                return query.filter(db.false())
            query = query.filter(RegistryRecord.id_hash == keyed_hash(normalise_id(digits)))
        elif digits.isdigit() and len(digits) == 11:
            query = query.filter(RegistryRecord.phone_hash == keyed_hash(digits))
        elif len(digits) == 4 and digits.isdigit():
            # A phone's last four only: the ID number's last digits would, searched one by one,
            # give back what its mask hides.
            query = query.filter(RegistryRecord.phone_tail == digits)
        else:
            # A plain 'q%' pattern (no ESCAPE, no concatenation) lets both databases use the
            # prefix indexes; wildcards typed by the user are dropped, not interpreted.
            plain = q.replace("%", "").replace("_", "")
            if plain.isascii():  # zs, zhangsan: pinyin of names
                low = plain.lower()
                query = query.filter(db.or_(RegistryRecord.name_pinyin.like(low + "%"),
                                            RegistryRecord.name_initials.like(low + "%")))
            else:  # 张三, 芙蓉街: a name or an address
                query = query.filter(db.or_(RegistryRecord.name.like(plain + "%"),
                                            RegistryRecord.address.like(plain + "%")))
    return query


@bp.route("/registry")
def records():
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    q = request.args.get("q", "")
    with unit_of_work():  # a whole-number lookup is audited
        query = search_query(current_user, kind, q).order_by(RegistryRecord.kind, RegistryRecord.name)
        page = query.paginate(page=request.args.get("page", 1, type=int), per_page=PER_PAGE,
                              error_out=False, count=False)
    if g.get("id_lookup_refused"):
        flash(_("身份号码查验过于频繁，请一小时后再试"), "error")
    return render_template("registry/list.html", page=page, kind=kind, q=q, kinds=KIND_LABELS,
                           can_edit=may(current_user, "registry.edit"),
                           can_export=may(current_user, "registry.export"))


@bp.route("/registry/<record_id>")
def record_detail(record_id):
    return _detail_page(get_or_404(current_user, RegistryRecord, record_id))


def _detail_page(record, revealed=None):
    form = KIND_FORMS[record.kind]()
    history = (RecordRevision.query.filter_by(record_id=record.id)
               .order_by(RecordRevision.version.desc()).all())
    children = (RegistryRecord.query.filter(RegistryRecord.parent_id == record.id,
                                            RegistryRecord.deleted_at.is_(None))
                .order_by(RegistryRecord.name).limit(200).all())
    tags = ([t.tag for t in PersonTag.query.filter_by(record_id=record.id)]
            if may_see_tags(current_user, record.grid_id) else None)
    visits = Visit.query.filter_by(record_id=record.id).order_by(Visit.visited_at.desc()).limit(50).all()
    display = field_display()
    names = {c.id: c.name for c in children}
    if record.parent:
        names[record.parent.id] = record.parent.name
    return render_template("registry/detail.html", record=record, form=form, history=history,
                           display=display[record.kind],
                           shown=lambda field, value: shown(display, record.kind, field, value, names),
                           children=children, tags=tags, tag_labels=SENSITIVE_TAGS, visits=visits,
                           values=current_values(record), kinds=KIND_LABELS,
                           can_edit=may(current_user, "registry.edit", record),
                           can_reveal=may_reveal(current_user, record), revealed=revealed)


@bp.post("/registry/<record_id>/reveal/<field>")
def reveal_page(record_id, field):
    record = get_or_404(current_user, RegistryRecord, record_id)
    try:
        with unit_of_work():  # the reveal is audited
            value = reveal(current_user, record, field)
    except Forbidden:
        abort(403)
    # The birth date is kept only inside the number, so it is shown with it.
    birth = _birth_date_of(value) if field == "id_number" else None
    if request.accept_mimetypes.best == "application/json":
        response = jsonify(field=field, value=value, birth_date=birth)
    else:
        # Shown in this answer only: a flash message would carry the number in the session
        # cookie, and a redirected page could be kept by a cache.
        shown = value or "—"
        if birth:
            shown = _("%(number)s，出生日期 %(date)s", number=shown, date=birth)
        response = make_response(_detail_page(record, revealed=shown))
    response.headers["Cache-Control"] = "no-store"
    return response


def _birth_date_of(number):
    try:
        return check_id_number(number)[1].isoformat() if number else None
    except ValueError:
        return None


def _form_fields(form):
    return {name: field.data for name, field in form._fields.items()}


def _parents(kind):
    parent_kind = PARENT_KIND.get(kind)
    if not parent_kind:
        return []
    return (RegistryRecord.query.filter(visible_records_clause(current_user),
                                        RegistryRecord.kind == parent_kind)
            .order_by(RegistryRecord.name).limit(500).all())


@bp.route("/registry/new/<kind>", methods=["GET", "POST"])
@bp.route("/registry/<record_id>/edit", methods=["GET", "POST"])
def record_form(kind=None, record_id=None):
    record = get_or_404(current_user, RegistryRecord, record_id, CHANGE) if record_id else None
    kind = record.kind if record else kind
    if kind not in KINDS or not may(current_user, "registry.edit"):
        abort(404)
    form_class = KIND_FORMS[kind]
    if request.method == "POST":
        form = form_class(formdata=request.form)
        fields = {k: v for k, v in request.form.to_dict(flat=False).items() if k != "csrf_token"}
        fields = {k: (v if k == "tags" else v[0]) for k, v in fields.items()}
        try:
            with unit_of_work():  # a refusal keeps only its ID-lookup audit rows
                if record:
                    base = {k: v for k, v in current_values(record).items()}
                    changed = {k: v for k, v in fields.items()
                               if k == "tags" or str(base.get(k) if base.get(k) is not None else "") != v}
                    edit_record(current_user, record.id, record.version, changed, base, source="web")
                    target = record.id
                else:
                    target = str(uuid.uuid4())
                    create_record(current_user, target, kind, fields, source="web")
            flash(_("已保存"), "info")
            return redirect(url_for("registry.record_detail", record_id=target))
        except Rejected as exc:
            form.validate()
            for name, messages in exc.errors.items():
                if name in form._fields:
                    form._fields[name].errors = list(messages)
                else:
                    flash("；".join(messages), "error")
        except (Forbidden, Conflict):
            abort(403)
    else:
        form = form_class(data=current_values(record) if record else None)
        if record and record.kind == "person" and may_see_tags(current_user, record.grid_id):
            form.tags.data = [t.tag for t in PersonTag.query.filter_by(record_id=record.id)]
    return render_template("registry/form.html", form=form, record=record, kind=kind,
                           kinds=KIND_LABELS, parents=_parents(kind), grids=_my_grids(),
                           show_tags=kind == "person" and (
                               record is None or may_see_tags(current_user, record.grid_id)))


def _my_grids():
    scope = scope_for(current_user)
    return Grid.query.filter(scope.grid_clause()).order_by(Grid.code).limit(200).all()


def field_display():
    """For each kind: field → (label, {choice value: label}), to show diffs in words."""
    out = {}
    for kind, form_class in KIND_FORMS.items():
        form = form_class()
        out[kind] = {name: (str(f.label.text), {str(v): str(lbl) for v, lbl in
                                               (getattr(f, "choices", None) or [])})
                     for name, f in form._fields.items()}
        out[kind]["tags"] = (str(form._fields["tags"].label.text) if "tags" in form._fields
                             else "", {})
    return out


def shown(display, kind, field, value, names):
    """A diff value as a person reads it: choice labels, parent names, dashes for nothing."""
    if value is None or value == "":
        return "—"
    if field == "parent_id":
        return names.get(value, value)
    choices = display.get(kind, {}).get(field, ("", {}))[1]
    if isinstance(value, list):
        return "、".join(choices.get(str(v), str(v)) for v in value)
    return choices.get(str(value), str(value))


@bp.route("/review")
def review_queue():
    if not may(current_user, "registry.review"):
        abort(403)
    query = pending_for(current_user)
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    grid_id = request.args.get("grid", type=int)
    author_id = request.args.get("author", type=int)
    if kind:
        query = query.join(RegistryRecord, RegistryRecord.id == Submission.record_id).filter(
            RegistryRecord.kind == kind)
    if grid_id:
        query = query.filter(Submission.grid_id == grid_id)
    if author_id:
        query = query.filter(Submission.author_id == author_id)
    page = query.paginate(page=max(1, request.args.get("page", 1, type=int)), per_page=REVIEW_PER_PAGE,
                          error_out=False)
    filters = {"kind": kind, "grid": grid_id, "author": author_id}
    authors = dict(db.session.execute(
        db.select(User.id, User.display_name).where(User.id.in_(
            pending_for(current_user).order_by(None).with_entities(Submission.author_id).distinct()))).all())
    parent_ids = {v for s in page.items for change in s.changes.values() for v in change
                  if isinstance(v, str) and len(v) == 36}
    names = dict(db.session.execute(db.select(RegistryRecord.id, RegistryRecord.name)
                                    .where(RegistryRecord.id.in_(parent_ids))).all()) if parent_ids else {}
    display = field_display()
    return render_template("registry/review.html", page=page, kinds=KIND_LABELS, display=display,
                           shown=lambda kind, field, value: shown(display, kind, field, value, names),
                           filters=filters, grids=_my_grids(), authors=authors,
                           duplicate_records=_records_by_id([s.duplicate_of for s in page.items]))


def _records_by_id(ids):
    ids = [i for i in ids if i]
    return {r.id: r for r in RegistryRecord.query.filter(RegistryRecord.id.in_(ids))} if ids else {}


@bp.post("/review/decide")
def review_decide():
    if not may(current_user, "registry.review"):
        abort(403)
    # One item's own buttons send decide=<action>:<id> with its own comment; the bulk bar sends
    # action=<action> for the ticked items with the shared comment.
    one = request.form.get("decide", "")
    if one:
        action, _sep, single = one.partition(":")
        ids, comment = [single], request.form.get(f"comment-{single}", "")
    else:
        action = request.form.get("action")
        ids, comment = request.form.getlist("submission"), request.form.get("comment", "")
    if action not in ("approve", "reject", "return"):
        abort(400)
    done, problems = 0, []
    for submission_id in ids:
        submission = db.session.get(Submission, submission_id)
        if submission is None or not may_review(current_user, submission):
            problems.append(_("找不到这条待审记录"))
            continue
        prefix = f"choice-{submission_id}:"
        choices = {k[len(prefix):]: v for k, v in request.form.items() if k.startswith(prefix)}
        try:
            with unit_of_work():  # each decision on its own: one refused keeps the others
                decide(current_user, submission, action, comment, choices)
            done += 1
        except Rejected as exc:
            problems.append(f"{submission.record.name}：" + "；".join(sum(exc.errors.values(), [])))
    if done:
        flash(_("已处理 %(n)d 条", n=done), "info")
    for p in problems:
        flash(p, "error")
    return redirect(request.form.get("next") if _is_local(request.form.get("next"))
                    else url_for("registry.review_queue"))


EXPORT_COLUMNS = ["kind", "name", "grid", "address", "id_number", "phone", "fields", "version",
                  "review_state", "updated_at"]


def _export_rows(kind, unmask):
    query = search_query(current_user, kind).order_by(RegistryRecord.kind, RegistryRecord.name)
    for r in query.yield_per(1000):
        yield [r.kind, r.name, r.grid.name, r.address,
               decrypt(r.id_cipher) if unmask and r.id_cipher else r.id_masked,
               decrypt(r.phone_cipher) if unmask and r.phone_cipher else r.phone_masked,
               json.dumps(r.data or {}, ensure_ascii=False), r.version, r.review_state,
               local_time(r.updated_at, "yyyy-MM-dd HH:mm:ss")]


@bp.get("/registry/export.<fmt>")
def export(fmt):
    if not may(current_user, "registry.export") or fmt not in ("csv", "xlsx"):
        abort(403 if fmt in ("csv", "xlsx") else 404)
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    unmask = request.args.get("unmask") == "1"
    with unit_of_work():  # the export is audited before a row of it leaves
        audit.record("registry.export", object_type="registry_record",
                     detail={"format": fmt, "kind": kind, "unmasked": unmask})
    filename = f"registry-{kind or 'all'}{'-unmasked' if unmask else ''}.{fmt}"
    return table_download(fmt, filename, [("registry", [EXPORT_COLUMNS, *_export_rows(kind, unmask)])])


@bp.get("/registry/objects.geojson")
def objects_geojson():
    if not may(current_user, "registry.export"):
        abort(403)
    features = []
    for r in search_query(current_user, "object").filter(RegistryRecord.lon.isnot(None)):
        features.append({"type": "Feature", "id": r.id,
                         "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
                         "properties": {"code": r.name, "grid": r.grid.name, **(r.data or {}),
                                        "part_class": PART_CLASSES.get((r.data or {}).get("object_type"))}})
    with unit_of_work():
        audit.record("registry.export", object_type="registry_record", detail={"format": "geojson"})
    return Response(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    mimetype="application/geo+json",
                    headers={"Content-Disposition": "attachment; filename=objects.geojson"})


@bp.get("/registry/app")
@requires("registry.offline")
def phone_app():
    """The phone's registry: search, view, create and edit, all from IndexedDB, offline."""
    schema = {kind: [{"name": name, "label": str(field.label.text), "type": field.type,
                      "required": bool(field.flags.required),
                      "choices": [[str(v), str(label)] for v, label in getattr(field, "choices", None) or []]}
                     for name, field in form_class()._fields.items()
                     if name != "grid_id"]
              for kind, form_class in KIND_FORMS.items()}
    versions = {kind: f.FORM_VERSION for kind, f in KIND_FORMS.items()}
    mine = _my_grids()
    grids = [{"id": g.id, "name": g.name} for g in mine]
    shapes = [{"id": g.id, "name": g.name, "geometry": g.geometry} for g in mine]
    return render_template("registry/app.html", schema=schema, versions=versions, grids=grids,
                           grid_shapes=shapes,
                           kinds={k: str(v) for k, v in KIND_LABELS.items()}, parent_kind=PARENT_KIND)


@bp.get("/api/v1/registry/<record_id>")
def record_api(record_id):
    record = get_or_404(current_user, RegistryRecord, record_id)
    tags = ([t.tag for t in PersonTag.query.filter_by(record_id=record.id)]
            if may_see_tags(current_user, record.grid_id) else None)
    return jsonify(record_json(record, current_user, tags))

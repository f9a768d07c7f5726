"""Admin: the duty checklist's versions. A version already in force is never edited, so past
periods keep being judged by the list they had; changes go into a new version that starts
tomorrow or later, and stay editable until it starts."""
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..admin.pages import AdminPages
from ..audit import services as audit
from ..extensions import db
from ..scope.permissions import may
from ..transaction import unit_of_work
from .models import DutyChecklist, DutyItem
from .routes import EVIDENCE, FREQUENCY
from .services import checklist_for, local_today

pages = AdminPages()  # attached to the admin blueprint by app.admin.register


class VersionForm(FlaskForm):
    valid_from = DateField(_l("生效日期"), validators=[DataRequired(_l("请填写生效日期"))])
    note = StringField(_l("说明"), validators=[Length(max=200)])


class ItemForm(FlaskForm):
    code = StringField(_l("编号"), validators=[DataRequired(), Length(max=12),
                                              Regexp(r"^\d{2}\.\d{1,2}$", message=_l("编号形如 01.2"))])
    category = StringField(_l("大类"), validators=[DataRequired(), Length(max=40)])
    title = StringField(_l("事项"), validators=[DataRequired(), Length(max=120)])
    frequency = SelectField(_l("频次"), choices=list(FREQUENCY.items()))
    target = IntegerField(_l("目标（0 表示按需）"), default=1, validators=[NumberRange(0, 1000)])
    evidence = SelectField(_l("完成依据"), choices=list(EVIDENCE.items()))
    only_kind = SelectField(_l("限定登记类型"), validators=[Optional()], choices=[
        ("", "—"), ("person", _l("人口")), ("building", _l("楼栋")), ("room", _l("房屋")),
        ("site", _l("场所")), ("object", _l("部件")), ("organisation", _l("组织"))])
    only_category = StringField(_l("限定事件类别编码前缀"), validators=[Optional(), Length(max=8)])
    only_tag = StringField(_l("限定人员标签"), validators=[Optional(), Length(max=32)])


def _require_admin():
    if not may(current_user, "admin"):
        abort(403)


def _editable(checklist):
    return checklist.valid_from > local_today()


@pages.route("/duties", methods=["GET", "POST"])
def duty_versions():
    _require_admin()
    today = local_today()
    form = VersionForm()
    if request.method == "GET":
        form.valid_from.data = today + timedelta(days=1)
    if form.validate_on_submit():
        start = form.valid_from.data
        if start <= today:
            form.valid_from.errors.append(_("新版本最早从明天起生效，已生效的周期不受影响"))
        elif DutyChecklist.query.filter_by(valid_from=start).first():
            form.valid_from.errors.append(_("这一天已有一个版本"))
        else:
            source = checklist_for(start)
            copy = DutyChecklist(valid_from=start, note=(form.note.data or "").strip()
                                 or (source.note if source else ""))
            for item in source.items if source else []:
                copy.items.append(DutyItem(
                    code=item.code, category=item.category, title=item.title, frequency=item.frequency,
                    target=item.target, evidence=item.evidence, evidence_filter=dict(item.evidence_filter)))
            with unit_of_work():
                db.session.add(copy)
                audit.record("duty_checklist.create", copy, detail={
                    "valid_from": start.isoformat(), "copied_from": source.id if source else None})
            flash(_("新版本已建立，生效前可以修改"), "info")
            return redirect(url_for("admin.duty_version", checklist_id=copy.id))
    versions = DutyChecklist.query.order_by(DutyChecklist.valid_from.desc()).all()
    in_force = checklist_for(today)
    return render_template("admin/duties.html", versions=versions, in_force=in_force, today=today, form=form)


@pages.get("/duties/<int:checklist_id>")
def duty_version(checklist_id):
    _require_admin()
    checklist = db.get_or_404(DutyChecklist, checklist_id)
    return render_template("admin/duty_version.html", checklist=checklist, editable=_editable(checklist),
                           FREQUENCY=FREQUENCY, EVIDENCE=EVIDENCE, delete_form=FlaskForm())


def _fill_item(item, form):
    item.code, item.category = form.code.data.strip(), form.category.data.strip()
    item.title, item.frequency = form.title.data.strip(), form.frequency.data
    item.target, item.evidence = form.target.data or 0, form.evidence.data
    flt = {}
    if form.only_kind.data:
        flt["kind"] = form.only_kind.data
    if (form.only_category.data or "").strip():
        flt["category"] = form.only_category.data.strip().upper()
    if (form.only_tag.data or "").strip():
        flt["tag"] = form.only_tag.data.strip()
    item.evidence_filter = flt


@pages.route("/duties/<int:checklist_id>/items/new", methods=["GET", "POST"], defaults={"item_id": None})
@pages.route("/duties/<int:checklist_id>/items/<int:item_id>", methods=["GET", "POST"])
def duty_item(checklist_id, item_id):
    _require_admin()
    checklist = db.get_or_404(DutyChecklist, checklist_id)
    if not _editable(checklist):
        abort(403, _("已生效的版本不能修改，请新建版本"))
    item = db.get_or_404(DutyItem, item_id) if item_id else None
    if item is not None and item.checklist_id != checklist.id:
        abort(404)
    form = ItemForm(obj=item)
    if request.method == "GET" and item is not None:
        flt = item.evidence_filter or {}
        form.only_kind.data, form.only_category.data, form.only_tag.data = (
            flt.get("kind", ""), flt.get("category", ""), flt.get("tag", ""))
    if form.validate_on_submit():
        clash = DutyItem.query.filter_by(checklist_id=checklist.id, code=form.code.data.strip()).first()
        if clash is not None and clash is not item:
            form.code.errors.append(_("本版本已有这个编号"))
        else:
            with unit_of_work():
                item = item or DutyItem(checklist=checklist)
                before = {"code": item.code, "title": item.title, "target": item.target}
                _fill_item(item, form)
                db.session.add(item)
                audit.record("duty_item.save", item, detail={"checklist": checklist.id, "before": before,
                                                             "code": item.code, "title": item.title,
                                                             "target": item.target})
            flash(_("已保存"), "info")
            return redirect(url_for("admin.duty_version", checklist_id=checklist.id))
    return render_template("admin/duty_item.html", checklist=checklist, item=item, form=form)


@pages.post("/duties/<int:checklist_id>/items/<int:item_id>/delete")
def duty_item_delete(checklist_id, item_id):
    _require_admin()
    checklist = db.get_or_404(DutyChecklist, checklist_id)
    item = db.get_or_404(DutyItem, item_id)
    if not _editable(checklist) or item.checklist_id != checklist.id or not FlaskForm().validate_on_submit():
        abort(403)
    with unit_of_work():
        audit.record("duty_item.delete", item, detail={"checklist": checklist.id, "code": item.code,
                                                       "title": item.title})
        db.session.delete(item)
    flash(_("已删除"), "info")
    return redirect(url_for("admin.duty_version", checklist_id=checklist.id))



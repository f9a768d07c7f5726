"""Admin: the event category catalogue (大类/小类)."""
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..admin.forms import CODE
from ..admin.pages import AdminPages
from ..admin.services import value_taken
from ..audit import services as audit
from ..extensions import db
from ..org.models import Department
from ..scope.permissions import may
from ..sync.services import log_change
from ..transaction import unit_of_work
from .models import EventCategory
from .workcal import HolidayOverride, remove_holiday, set_holiday

pages = AdminPages()  # attached to the admin blueprint by app.admin.register


MINUTES = [Optional(), NumberRange(1, 10080, message=_l("时限为 1–10080 分钟"))]


class CategoryForm(FlaskForm):
    code = StringField(_l("编码"), validators=[DataRequired(), Length(max=32), CODE])
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=120)])
    parent_id = SelectField(_l("大类"), coerce=int, choices=[])
    sort_order = IntegerField(_l("排序"), validators=[Optional()], default=0)
    active = BooleanField(_l("启用"), default=True)
    time_limit = IntegerField(_l("处置时限"), default=3,
                              validators=[DataRequired(_l("请填写时限")), NumberRange(1, 1000)])
    time_unit = SelectField(_l("时限单位"), choices=[("days", _l("工作日")), ("hours", _l("工作小时"))])
    self_resolvable = BooleanField(_l("网格员可自行处置"))
    default_department_id = SelectField(_l("默认派遣部门"), coerce=int, choices=[])
    closing_criteria = TextAreaField(_l("结案标准"), validators=[Optional(), Length(max=500)])
    # Minutes each short stage may take, by urgency (empty: the major category's or the defaults).
    register_normal = IntegerField(_l("立案时限（分钟，一般）"), validators=MINUTES)
    register_urgent = IntegerField(_l("立案时限（分钟，紧急）"), validators=MINUTES)
    dispatch_normal = IntegerField(_l("派遣时限（分钟，一般）"), validators=MINUTES)
    dispatch_urgent = IntegerField(_l("派遣时限（分钟，紧急）"), validators=MINUTES)
    check_normal = IntegerField(_l("核查时限（分钟，一般）"), validators=MINUTES)
    check_urgent = IntegerField(_l("核查时限（分钟，紧急）"), validators=MINUTES)
    handle_urgent = IntegerField(_l("紧急事件处置时限（工作小时，空着则同一般）"),
                                 validators=[Optional(), NumberRange(1, 1000)])
    national_kind = SelectField(_l("国标分类"), validators=[Optional()],
                                choices=[("", "—"), ("event", _l("事件")), ("part", _l("部件"))])
    national_code = StringField(_l("国标大类/小类编码"), validators=[
        Optional(), Regexp(r"^\d{2}(\d{2})?$", message=_l("大类 2 位、小类 4 位数字"))])


def log_category(category):
    """Phones hold the catalogue: tell them, with a tombstone when it is switched off."""
    live = category.active and (category.parent is None or category.parent.active)
    log_change("category", category.id, op="upsert" if live else "delete")
    for child in category.children:
        log_category(child)


@pages.route("/categories")
def categories():
    if not may(current_user, "admin"):
        abort(403)
    majors = EventCategory.query.filter_by(parent_id=None).order_by(
        EventCategory.sort_order, EventCategory.code).all()
    return render_template("admin/categories.html", majors=majors)


@pages.route("/categories/new", methods=["GET", "POST"])
@pages.route("/categories/<int:category_id>", methods=["GET", "POST"])
def category_edit(category_id=None):
    if not may(current_user, "admin"):
        abort(403)
    category = db.session.get(EventCategory, category_id) if category_id else None
    if category_id and category is None:
        abort(404)
    form = CategoryForm(obj=category)
    majors = EventCategory.query.filter_by(parent_id=None).order_by(EventCategory.code).all()
    form.parent_id.choices = [(0, _("（无：这是大类）"))] + [
        (m.id, m.name) for m in majors if not category or m.id != category.id]

    form.default_department_id.choices = [(0, "—")] + [
        (d.id, d.name) for d in Department.query.order_by(Department.code)]
    if request.method == "GET":
        form.parent_id.data = category.parent_id or 0 if category else request.args.get(
            "parent", 0, type=int)
        form.default_department_id.data = (category.default_department_id or 0) if category else 0
        for stage, entry in ((category.stage_limits or {}) if category else {}).items():
            for urgency in ("normal", "urgent"):
                if f"{stage}_{urgency}" in form._fields and entry.get(urgency):
                    form[f"{stage}_{urgency}"].data = entry[urgency]
    if form.validate_on_submit():
        if value_taken(EventCategory.code, form.code.data, category):
            form.code.errors.append(_("编码已被使用"))
        elif category and category.children and form.parent_id.data:
            form.parent_id.errors.append(_("有小类的大类不能变成小类"))
        else:
            created = category is None
            category = category or EventCategory()
            values = {"code": form.code.data, "name": form.name.data.strip(),
                      "parent_id": form.parent_id.data or None,
                      "sort_order": form.sort_order.data or 0, "active": form.active.data,
                      "time_limit": form.time_limit.data, "time_unit": form.time_unit.data,
                      "self_resolvable": form.self_resolvable.data,
                      "default_department_id": form.default_department_id.data or None,
                      "closing_criteria": (form.closing_criteria.data or "").strip(),
                      "national_kind": form.national_kind.data or None,
                      "national_code": form.national_code.data or None,
                      "stage_limits": _stage_limits(form)}
            with unit_of_work():
                changes = audit.apply_changes(category, values, created=created)
                db.session.add(category)
                db.session.flush()
                db.session.refresh(category)
                log_category(category)
                audit.record("category.create" if created else "category.update", category,
                             detail=changes)
            flash(_("已保存 %(name)s", name=category.name), "info")
            return redirect(url_for("admin.categories"))
    return render_template("admin/category_form.html", form=form, category=category)


def _stage_limits(form):
    """The form's stage minutes as stored ({stage: {urgency: minutes}}), or None when none given;
    critical cases take the urgent limits."""
    limits = {}
    for stage in ("register", "dispatch", "check"):
        normal, urgent = form[f"{stage}_normal"].data, form[f"{stage}_urgent"].data
        entry = {k: v for k, v in (("normal", normal), ("urgent", urgent), ("critical", urgent)) if v}
        if entry:
            limits[stage] = entry
    if form.handle_urgent.data:  # working hours for urgent and critical cases
        limits["handle"] = {"urgent": form.handle_urgent.data, "critical": form.handle_urgent.data}
    return limits or None


class HolidayForm(FlaskForm):
    day = StringField(_l("日期（YYYY-MM-DD）"), validators=[DataRequired(), Length(max=10)])
    workday = SelectField(_l("这一天"), choices=[("0", _l("放假")), ("1", _l("上班（调休）"))])
    name = StringField(_l("说明"), validators=[Optional(), Length(max=60)])


@pages.route("/holidays", methods=["GET", "POST"])
def holidays():
    """The admin's holiday calendar: days off and make-up working days beyond the package."""
    if not may(current_user, "admin"):
        abort(403)
    form = HolidayForm()
    if form.validate_on_submit():
        try:
            day = date.fromisoformat(form.day.data.strip())
        except ValueError:
            form.day.errors.append(_("日期格式应为 YYYY-MM-DD"))
        else:
            with unit_of_work():
                set_holiday(day, form.workday.data == "1", (form.name.data or "").strip())
            flash(_("已保存"), "info")
            return redirect(url_for("admin.holidays"))
    status = 200
    if request.method == "POST" and request.form.get("delete"):
        try:
            day = date.fromisoformat(request.form["delete"].strip())
        except ValueError:
            flash(_("日期格式应为 YYYY-MM-DD"), "error")
            status = 400
        else:
            with unit_of_work():
                remove_holiday(day)
            return redirect(url_for("admin.holidays"))
    rows = HolidayOverride.query.order_by(HolidayOverride.day.desc()).limit(200).all()
    return render_template("admin/holidays.html", form=form, rows=rows), status

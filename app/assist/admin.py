"""Admin: the catalogue of convenience items (categories, materials, office, time limit)."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..admin.pages import AdminPages
from ..audit import services as audit
from ..extensions import db
from ..scope.permissions import requires
from ..scope.services import CHANGE, get_or_404
from ..transaction import unit_of_work
from .models import ConvenienceItem

pages = AdminPages()  # attached to the admin blueprint by app.assist.register


class ItemForm(FlaskForm):
    category = StringField(_l("大类"), validators=[DataRequired(_l("请填写大类")), Length(max=40)])
    name = StringField(_l("事项"), validators=[DataRequired(_l("请填写事项")), Length(max=120)])
    materials = TextAreaField(_l("所需材料（每行一项）"), validators=[Optional(), Length(max=2000)])
    office = StringField(_l("办理机构"), validators=[Optional(), Length(max=120)])
    time_limit_days = IntegerField(_l("时限（工作日）"), default=10,
                                   validators=[DataRequired(_l("请填写时限")), NumberRange(1, 365)])
    duty_code = StringField(_l("计入的职责编号"), validators=[
        Optional(), Length(max=12), Regexp(r"^\d{2}\.\d{1,2}$", message=_l("编号形如 01.2"))])
    active = BooleanField(_l("启用"), default=True)


@pages.get("/assist-items")
@requires("assist.catalogue", status=403)
def assist_items():
    items = ConvenienceItem.query.order_by(ConvenienceItem.sort_order, ConvenienceItem.id).all()
    return render_template("assist/items.html", items=items)


@pages.route("/assist-items/new", methods=["GET", "POST"])
@pages.route("/assist-items/<int:item_id>", methods=["GET", "POST"])
@requires("assist.catalogue", status=403)
def assist_item(item_id=None):
    item = get_or_404(current_user, ConvenienceItem, item_id, CHANGE) if item_id else None
    form = ItemForm(obj=item)
    if form.validate_on_submit():
        with unit_of_work():
            if item is None:
                item = ConvenienceItem(sort_order=(db.session.query(db.func.max(ConvenienceItem.sort_order))
                                                   .scalar() or 0) + 1)
                db.session.add(item)
            before = {k: getattr(item, k) for k in ("category", "name", "office", "time_limit_days",
                                                    "duty_code", "active")}
            form.populate_obj(item)
            item.materials = "\n".join(line.strip() for line in (form.materials.data or "").splitlines()
                                       if line.strip())
            item.duty_code = form.duty_code.data or None
            db.session.flush()
            audit.record("assist.item", item, detail={"before": before, "name": item.name})
        flash(_("已保存 %(name)s", name=item.name), "info")
        return redirect(url_for("admin.assist_items"))
    return render_template("assist/item_form.html", form=form, item=item)

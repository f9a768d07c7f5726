"""The quick report form: one definition validates the online page and the synced mutation."""
from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from sqlalchemy.orm import aliased
from wtforms import BooleanField, Field, FloatField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..extensions import db
from .models import URGENCIES, EventCategory

URGENCY_LABELS = {"normal": _l("一般"), "urgent": _l("紧急"), "critical": _l("特急")}
MAX_PHOTOS = 9


class IdListField(Field):
    """Every value sent under this name (photo UUIDs made on the phone)."""

    def _value(self):
        return ""

    def process_formdata(self, valuelist):
        self.data = [v.strip().lower() for v in valuelist if v and v.strip()]

    def process_data(self, value):
        self.data = list(value or [])


def active_subcategory_ids() -> set:
    """Ids of the sub-categories a report may name (they and their major category switched
    on), read once per request: a batch of 20 reports asks once."""
    if has_request_context() and "_catalogue" in g:
        return g._catalogue
    major = aliased(EventCategory)
    ids = set(db.session.execute(
        db.select(EventCategory.id).join(major, EventCategory.parent_id == major.id)
        .where(EventCategory.active.is_(True), major.active.is_(True))).scalars())
    if has_request_context():
        g._catalogue = ids
    return ids


class QuickReportForm(FlaskForm):
    # FORM_VERSION changes when fields change; older phones' queued records name theirs.
    FORM_VERSION = 1

    category_id = IntegerField(_l("类别"), validators=[InputRequired(_l("请选择类别"))])
    description = TextAreaField(_l("情况描述"), validators=[
        DataRequired(_l("请填写情况描述")), Length(max=2000, message=_l("描述不超过 2000 字"))])
    urgency = SelectField(_l("紧急程度"), choices=[(u, URGENCY_LABELS[u]) for u in URGENCIES],
                          default="normal")
    lon = FloatField(_l("经度"), validators=[InputRequired(_l("需要位置")),
                                            NumberRange(-180, 180, _l("经度超出范围"))])
    lat = FloatField(_l("纬度"), validators=[InputRequired(_l("需要位置")),
                                            NumberRange(-90, 90, _l("纬度超出范围"))])
    accuracy = FloatField(_l("定位精度（米）"), validators=[Optional(), NumberRange(min=0, max=100000)])
    location_manual = BooleanField(_l("在地图上手动选点"))
    photos = IdListField(_l("照片"))
    photo_files = MultipleFileField(_l("照片（1–9 张）"))

    def validate_category_id(self, field):
        if field.data not in active_subcategory_ids():
            raise ValidationError(_l("该类别已停用或不存在，请重新选择"))

    def photo_count_error(self, count):
        if count < 1:
            return _l("至少需要 1 张照片")
        if count > MAX_PHOTOS:
            return _l("最多 9 张照片")
        return None

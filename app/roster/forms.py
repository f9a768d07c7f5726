from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from .services import FORCE_LABELS


class MemberForm(FlaskForm):
    force = SelectField(_l("力量类别"), choices=list(FORCE_LABELS.items()),
                        validators=[DataRequired(_l("请选择力量类别"))])
    post = StringField(_l("职务"), validators=[Optional(), Length(max=40)])
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名")), Length(max=60)])
    unit = StringField(_l("单位"), validators=[Optional(), Length(max=120)])
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=20)])
    grids = SelectMultipleField(_l("所在网格"), coerce=int, validators=[DataRequired(_l("请选择所在网格"))])
    username = StringField(_l("账号（可选）"), validators=[Optional(), Length(max=64)])
    active = BooleanField(_l("在岗"), default=True)


class RosterImportForm(FlaskForm):
    file = FileField(_l("CSV 或 XLSX 文件"), validators=[
        DataRequired(_l("请选择文件")), FileAllowed(["csv", "xlsx"], _l("请上传 .csv 或 .xlsx 文件"))])

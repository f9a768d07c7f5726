import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

CODE = Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("编码只能包含字母、数字、下划线、点和连字符"))
USERNAME = Regexp(r"^[A-Za-z0-9_.-]{3,64}$",
                  message=_l("用户名为 3–64 位字母、数字、下划线、点或连字符"))


class UnitForm(FlaskForm):
    code = StringField(_l("编码"), validators=[DataRequired(), Length(max=32), CODE])
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=120)])
    level = SelectField(_l("层级"), choices=[("district", _l("区")), ("street", _l("街道")),
                                           ("community", _l("社区"))])
    parent_id = SelectField(_l("上级"), coerce=int, choices=[])

    def validate_parent_id(self, field):
        expected = {"district": None, "street": "district", "community": "street"}[self.level.data]
        parent = dict(self._parents).get(field.data) if field.data else None
        if expected is None and field.data:
            raise ValidationError(_l("区不能有上级"))
        if expected and (parent is None or parent != expected):
            raise ValidationError(_l("上级层级不正确"))


class GridForm(FlaskForm):
    code = StringField(_l("编码"), validators=[DataRequired(), Length(max=32), CODE])
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("类型"), choices=[("basic", _l("基础网格")), ("exclusive", _l("专属网格"))])
    community_id = SelectField(_l("所属社区"), coerce=int, choices=[])
    geojson = TextAreaField(_l("边界 GeoJSON（WGS-84）"), validators=[Optional()])
    geojson_file = FileField(
        _l("或上传 GeoJSON 文件"),
        validators=[FileAllowed(["json", "geojson"], _l("请上传 .geojson 或 .json 文件"))],
    )


class UserForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), USERNAME])
    display_name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=120)])
    password = PasswordField(_l("新密码"), validators=[Optional(), Length(min=8, max=200)])
    locale = SelectField(_l("语言"), choices=[("zh_Hans", "中文"), ("en", "English")])
    active = BooleanField(_l("启用"), default=True)
    unlock = BooleanField(_l("解除锁定"))


class RoleForm(FlaskForm):
    role = SelectField(_l("角色"), choices=[])
    target_code = StringField(_l("网格/组织/部门编码"), validators=[Optional(), Length(max=32)])


class ImportForm(FlaskForm):
    file = FileField(_l("CSV 文件"), validators=[FileAllowed(["csv"], _l("请上传 .csv 文件"))])


def normalise_code(value):
    return re.sub(r"\s+", "", value or "")

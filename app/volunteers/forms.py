from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FloatField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional, Regexp

from .services import NEED_LABELS


class JoinForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名")), Length(max=60)])
    phone = StringField(_l("手机号码"), validators=[DataRequired(_l("请填写手机号码")), Length(max=20)])
    unit_id = SelectField(_l("所在单位（机关企事业单位党组织）"), coerce=int, validators=[Optional()])
    username = StringField(_l("用户名"), validators=[
        DataRequired(_l("请填写用户名")),
        Regexp(r"^[A-Za-z0-9_.-]{3,64}$", message=_l("用户名为 3–64 位字母、数字或 _ . -"))])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请设置密码")), Length(min=8, max=200)])
    confirm = PasswordField(_l("再次输入密码"), validators=[
        DataRequired(), EqualTo("password", message=_l("两次输入的密码不一致"))])


class NeedForm(FlaskForm):
    community_id = SelectField(_l("社区"), coerce=int)
    kind = SelectField(_l("类型"), choices=list(NEED_LABELS.items()))
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题")), Length(max=120)])
    detail = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])
    starts_on = DateField(_l("开始日期"), validators=[Optional()])
    ends_on = DateField(_l("结束日期"), validators=[Optional()])
    slots = IntegerField(_l("名额"), default=1,
                         validators=[DataRequired(_l("请填写名额")), NumberRange(1, 500)])
    hours = FloatField(_l("每次服务时长（小时）"), default=2,
                       validators=[DataRequired(_l("请填写时长")), NumberRange(0.25, 24)])


class UnitForm(FlaskForm):
    community_id = SelectField(_l("报到社区"), coerce=int)
    name = StringField(_l("单位名称"), validators=[DataRequired(_l("请填写单位名称")), Length(max=120)])
    uscc = StringField(_l("统一社会信用代码"), validators=[Optional(), Length(max=18)])
    contact_name = StringField(_l("联系人"), validators=[Optional(), Length(max=60)])
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=20)])


class UnitServiceForm(FlaskForm):
    need_id = SelectField(_l("服务的需求"), coerce=int)
    hours = FloatField(_l("服务时长（小时）"),
                       validators=[DataRequired(_l("请填写时长")), NumberRange(0.25, 1000)])
    note = TextAreaField(_l("服务内容"), validators=[DataRequired(_l("请写明服务内容")), Length(max=1000)])

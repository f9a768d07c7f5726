"""One WTForms form per registry kind; the online pages and synced mutations both use them.

FORM_VERSION rises when a form changes. A phone may hold records queued under an older
version for days: fields added later (ADDED_IN) are not required of those.
"""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from stdnum.cn import uscc
from wtforms import FloatField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from .privacy import check_id_number

PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")

SENSITIVE_TAGS = {
    "elderly_alone": _l("独居老人"), "disability": _l("残疾人"),
    "community_correction": _l("社区矫正"), "low_income": _l("低保户"),
    "left_behind_child": _l("留守儿童"), "key_care": _l("重点关爱"),
}


def optional_choice(choices):
    return [("", _l("（未填）"))] + choices


class RecordForm(FlaskForm):
    """Fields every kind has: the grid it belongs to when no point or parent decides it."""

    FORM_VERSION = 1
    ADDED_IN = {}
    KIND = None
    grid_id = IntegerField(_l("所属网格"), validators=[Optional()])

    class Meta:
        csrf = False  # pages add CSRF through their own wrapper; the sync API checks its header

    def relax_for(self, form_version):
        """Fields added after ``form_version`` become optional for this validation."""
        for name, added in self.ADDED_IN.items():
            if form_version < added and name in self._fields:
                field = self._fields[name]
                field.validators = [Optional()] + [v for v in field.validators
                                                   if not isinstance(v, DataRequired)]
                field.flags.required = False


def _phone(form, field):
    if field.data and not PHONE_RE.match(field.data.replace(" ", "")):
        raise ValidationError(_l("电话号码格式不正确"))


def _uscc(form, field):
    """A unified social credit code (统一社会信用代码) whose check character is right, upper-cased."""
    if field.data:
        field.data = field.data.strip().upper()
        if not uscc.is_valid(field.data):
            raise ValidationError(_l("统一社会信用代码无效"))


class PersonForm(RecordForm):
    FORM_VERSION = 2
    ADDED_IN = {"population_type": 2}  # v1 phones did not ask for it
    KIND = "person"
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名")), Length(max=60)])
    id_number = StringField(_l("公民身份号码"), validators=[Optional(), Length(max=18)])
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=20), _phone])
    population_type = SelectField(_l("人口类型"), validators=[DataRequired(_l("请选择人口类型"))],
                                  choices=optional_choice([("registered", _l("户籍人口")),
                                                           ("floating", _l("流动人口")),
                                                           ("overseas", _l("境外人员"))]))
    parent_id = StringField(_l("居住房屋"), validators=[Optional(), Length(max=36)])
    address = StringField(_l("住址"), validators=[Optional(), Length(max=300)])
    work_unit = StringField(_l("工作单位"), validators=[Optional(), Length(max=120)])
    tags = SelectMultipleField(_l("重点人群标签"), choices=list(SENSITIVE_TAGS.items()),
                               validators=[Optional()])
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=1000)])

    def validate_id_number(self, field):
        if field.data and "*" not in field.data:
            try:
                field.data, self.birth_date, self.sex = check_id_number(field.data)
            except ValueError:
                raise ValidationError(_l("公民身份号码无效（校验位不符）")) from None


class BuildingForm(RecordForm):
    KIND = "building"
    name = StringField(_l("楼栋名称"), validators=[DataRequired(_l("请填写名称")), Length(max=120)])
    address = StringField(_l("地址"), validators=[DataRequired(_l("请填写地址")), Length(max=300)])
    floors = IntegerField(_l("层数"), validators=[Optional(), NumberRange(1, 200)])
    units = IntegerField(_l("单元数"), validators=[Optional(), NumberRange(1, 50)])
    property_company = StringField(_l("物业公司"), validators=[Optional(), Length(max=120)])
    lon = FloatField(_l("经度"), validators=[Optional(), NumberRange(-180, 180)])
    lat = FloatField(_l("纬度"), validators=[Optional(), NumberRange(-90, 90)])


class RoomForm(RecordForm):
    KIND = "room"
    parent_id = StringField(_l("所在楼栋"), validators=[DataRequired(_l("请选择楼栋")), Length(max=36)])
    name = StringField(_l("房号"), validators=[DataRequired(_l("请填写房号")), Length(max=60)])
    use = SelectField(_l("房屋用途"), choices=optional_choice([
        ("self", _l("自住")), ("rented", _l("出租")), ("vacant", _l("空置")), ("commercial", _l("商用"))]),
        validators=[Optional()])
    area_m2 = FloatField(_l("面积（平方米）"), validators=[Optional(), NumberRange(0, 100000)])
    owner_name = StringField(_l("产权人"), validators=[Optional(), Length(max=60)])


class SiteForm(RecordForm):
    KIND = "site"
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称")), Length(max=120)])
    site_type = SelectField(_l("场所类型"), choices=optional_choice([
        ("shop", _l("商铺")), ("catering", _l("餐饮")), ("small_venue", _l("九小场所")),
        ("market", _l("市场")), ("other", _l("其他"))]), validators=[Optional()])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=300)])
    licence_no = StringField(_l("营业执照号"), validators=[Optional(), Length(max=40)])
    contact_name = StringField(_l("联系人"), validators=[Optional(), Length(max=60)])
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=20), _phone])
    lon = FloatField(_l("经度"), validators=[Optional(), NumberRange(-180, 180)])
    lat = FloatField(_l("纬度"), validators=[Optional(), NumberRange(-90, 90)])


# A part's national class (GB/T 30428.2 part classes, 01 公用设施 … 04 园林绿化) by its type;
# its name is its asset code (部件编码).
PART_CLASSES = {"manhole": "0101", "hydrant": "0103", "street_lamp": "0104", "camera": "0105",
                "bus_shelter": "0203", "trash_bin": "0301", "street_tree": "0401"}


class ObjectForm(RecordForm):
    KIND = "object"
    name = StringField(_l("部件编码"), validators=[DataRequired(_l("请填写部件编码")), Length(max=60)])
    object_type = SelectField(_l("部件类型"), validators=[DataRequired(_l("请选择部件类型"))],
                              choices=optional_choice([
                                  ("manhole", _l("井盖")), ("street_lamp", _l("路灯")),
                                  ("hydrant", _l("消火栓")), ("trash_bin", _l("垃圾箱")),
                                  ("bus_shelter", _l("公交站亭")), ("street_tree", _l("行道树")),
                                  ("camera", _l("监控探头"))]))
    owner_department = StringField(_l("权属单位"), validators=[Optional(), Length(max=120)])
    condition = SelectField(_l("状态"), choices=optional_choice([
        ("good", _l("完好")), ("damaged", _l("损坏")), ("missing", _l("缺失"))]), validators=[Optional()])
    address = StringField(_l("位置描述"), validators=[Optional(), Length(max=300)])
    lon = FloatField(_l("经度"), validators=[DataRequired(_l("需要位置")), NumberRange(-180, 180)])
    lat = FloatField(_l("纬度"), validators=[DataRequired(_l("需要位置")), NumberRange(-90, 90)])


INDUSTRIES = [("C", _l("制造业")), ("E", _l("建筑业")), ("F", _l("批发和零售业")),
              ("G", _l("交通运输、仓储和邮政业")), ("H", _l("住宿和餐饮业")),
              ("I", _l("信息传输、软件和信息技术服务业")), ("J", _l("金融业")), ("K", _l("房地产业")),
              ("L", _l("租赁和商务服务业")), ("M", _l("科学研究和技术服务业")),
              ("O", _l("居民服务、修理和其他服务业")), ("P", _l("教育")), ("Q", _l("卫生和社会工作")),
              ("R", _l("文化、体育和娱乐业")), ("Z", _l("其他行业"))]


class OrganisationForm(RecordForm):
    FORM_VERSION = 2  # v2 added industry, floor and scale, all optional
    KIND = "organisation"
    name = StringField(_l("组织名称"), validators=[DataRequired(_l("请填写名称")), Length(max=120)])
    uscc = StringField(_l("统一社会信用代码"), validators=[Optional(), Length(max=18), _uscc])
    org_type = SelectField(_l("组织类型"), validators=[DataRequired(_l("请选择组织类型"))],
                           choices=optional_choice([("enterprise", _l("企业")),
                                                    ("social", _l("社会组织")),
                                                    ("party", _l("党组织"))]))
    # Enterprise fields (exclusive grids' service officers ask for them); sections of GB/T 4754.
    industry = SelectField(_l("所属行业"), validators=[Optional()], choices=optional_choice(INDUSTRIES))
    address = StringField(_l("地址"), validators=[Optional(), Length(max=300)])
    parent_id = StringField(_l("所在楼栋"), validators=[Optional(), Length(max=36)])
    floor = StringField(_l("所在楼层"), validators=[Optional(), Length(max=20)])
    contact_name = StringField(_l("联系人"), validators=[Optional(), Length(max=60)])
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=20), _phone])
    staff = IntegerField(_l("从业人数"), validators=[Optional(), NumberRange(0, 1000000)])
    scale = SelectField(_l("企业规模"), validators=[Optional()], choices=optional_choice([
        ("large", _l("大型")), ("medium", _l("中型")), ("small", _l("小型")), ("micro", _l("微型"))]))
    risk_level = SelectField(_l("风险等级"), choices=optional_choice([
        ("low", _l("低")), ("medium", _l("中")), ("high", _l("高"))]), validators=[Optional()])


KIND_FORMS = {f.KIND: f for f in (PersonForm, BuildingForm, RoomForm, SiteForm, ObjectForm,
                                   OrganisationForm)}
KIND_LABELS = {"person": _l("实有人口"), "building": _l("楼栋"), "room": _l("房屋"),
               "site": _l("商铺场所"), "object": _l("城市部件"), "organisation": _l("组织")}
# Where each kind may hang in the tree.
PARENT_KIND = {"person": "room", "room": "building", "organisation": "building"}

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

KIND_LABELS = {"task": _l("工作任务"), "survey": _l("民意调查"), "publicity": _l("政策宣传")}
STATUS_LABELS = {"pending_approval": _l("待区级审批"), "refused": _l("不予准入"), "open": _l("进行中"),
                 "closed": _l("已结束")}
QUESTION_LABELS = {"single": _l("单选"), "multi": _l("多选"), "text": _l("文字"), "number": _l("数字"),
                   "photo": _l("照片")}
OUT_OF_LIST = 0


class TaskForm(FlaskForm):
    kind = SelectField(_l("类型"), choices=list(KIND_LABELS.items()))
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题")), Length(max=120)])
    body = TextAreaField(_l("要求或宣传材料"), validators=[Length(max=5000)])
    duty_item_id = SelectField(_l("依据的职责事项（准入清单）"), coerce=int)
    reason = TextAreaField(_l("清单外事项的理由"), validators=[Length(max=1000)])
    request_approval = BooleanField(_l("报区指挥中心审批（禁入事项须经区级准入）"))
    targets = SelectMultipleField(_l("接收的网格或人员"))
    due_on = DateField(_l("完成期限"), validators=[Optional()])
    target = IntegerField(_l("每个接收对象的目标数（份数或户数）"), default=1,
                          validators=[DataRequired(_l("请填写目标数")), NumberRange(1, 10000)])


class DecisionForm(FlaskForm):
    note = TextAreaField(_l("审批意见"), validators=[Length(max=1000)])


BUILDER_ROWS = 6


def builder_rows(form_data, max_rows):
    """The question builder's rows as posted (``_question_builder.html``): at least six, four
    more when "more" was pressed, never more than ``max_rows``."""
    count = min(max_rows, max(BUILDER_ROWS, form_data.get("rows", 0, type=int)))
    if form_data.get("more"):
        count = min(max_rows, count + 4)
    return [{"type": form_data.get(f"q{n}-type", "single"), "label": form_data.get(f"q{n}-label", ""),
             "options": form_data.get(f"q{n}-options", ""), "required": form_data.get(f"q{n}-required")}
            for n in range(1, count + 1)]

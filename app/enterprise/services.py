"""Enterprise service in exclusive grids: the officer's enterprises, their needs opened as cases
on the closed loop, the monthly economic survey and the risk screening (a risk found opens an
event), and the street's and district's view. Pages and the sync push both call these."""
import uuid
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func

from .. import clock
from ..errors import Conflict, Forbidden, Rejected
from ..events.models import Event, EventCategory, EventPhoto
from ..events.workflow import OPEN_STATES
from ..extensions import db
from ..ids import is_uuid
from ..media.services import own_photos, photo_holder, rows_naming
from ..org.models import Grid
from ..registry.models import RegistryRecord
from ..scope.permissions import may
from ..scope.services import CHANGE, VIEW, rule, scope_for
from ..sync.services import log_change, record_handler
from ..tasks.services import clean_answers
from ..ui import local_time
from .models import EconomicSurvey, RiskScreening, SurveyAnswer

# The risk screening checklist: item -> (label, the event category a risk found opens).
RISK_ITEMS = {
    "labour": (_l("劳资纠纷、拖欠工资"), "MD03"),
    "dispute": (_l("经营及合同纠纷"), "MD02"),
    "work_safety": (_l("安全生产隐患"), "AQ06"),
    "fire": (_l("消防安全（通道、器材、电气）"), "AQ01"),
    "gas": (_l("燃气使用安全"), "AQ03"),
    "operations": (_l("经营异常（停产、欠租、失联）"), "QY03"),
    "environment": (_l("周边环境与污染扰民"), "QY04"),
}
RESULT_LABELS = {"ok": _l("正常"), "risk": _l("有风险"), "na": _l("不适用")}
NEED_ROOT = "QY"


def period_of(day: date) -> str:
    return f"{day:%Y-%m}"


def is_enterprise(record):
    return (record is not None and record.kind == "organisation" and record.deleted_at is None
            and (record.data or {}).get("org_type") == "enterprise")


def officer_grid_ids(user):
    return {a.grid_id for a in user.assignments if a.role == "officer" and a.grid_id}


def enterprises_of(grid_ids):
    """The enterprises registered in these grids (organisation records of the enterprise type)."""
    if not grid_ids:
        return []
    rows = (RegistryRecord.query.filter(RegistryRecord.grid_id.in_(list(grid_ids)),
                                        RegistryRecord.kind == "organisation",
                                        RegistryRecord.deleted_at.is_(None))
            .order_by(RegistryRecord.name).all())
    return [r for r in rows if is_enterprise(r)]


def _new_record_for(user, model, record_id, data):
    """The enterprise a new officer's record (of ``model``, under the phone's ``record_id``) is
    about. Raises Forbidden (not an officer), Rejected (not their enterprise, a bad id) or
    Conflict (the id is taken)."""
    enterprise = _officer_enterprise(user, data.get("enterprise_id"))
    if not is_uuid(record_id):
        raise Rejected({"record_id": [str(_l("记录编号必须是 UUID"))]})
    if db.session.get(model, record_id) is not None:
        raise Conflict()  # answered conflict, record_exists
    return enterprise


def _month(data, message):
    """The YYYY-MM a survey answer or screening is for: this month or an earlier one."""
    period = data.get("period")
    if not isinstance(period, str) or period > period_of(clock.local_today()):
        raise Rejected({"period": [str(message)]})
    return period


def _officer_enterprise(user, enterprise_id):
    if not may(user, "enterprise.serve"):
        raise Forbidden(_l("只有企业服务专员可以记录"))
    record = db.session.get(RegistryRecord, enterprise_id) if isinstance(enterprise_id, str) else None
    if not is_enterprise(record) or record.grid_id not in officer_grid_ids(user):
        raise Rejected({"enterprise_id": [str(_l("请选择你所服务网格的企业"))]}, code="not_found")
    return record


def _open_case(user, event_id, category, description, enterprise, urgency, photos, moment):
    """An event about ``enterprise`` on the closed loop, as a quick report would open it."""
    grid = db.session.get(Grid, enterprise.grid_id)
    lon, lat = enterprise.lon, enterprise.lat
    if lon is None or lat is None:
        point = grid.shape.representative_point()
        lon, lat = point.x, point.y
    event = Event(id=event_id, category_id=category.id, description=description, lon=lon, lat=lat,
                  grid_id=grid.id, urgency=urgency, source="enterprise", reporter_id=user.id,
                  subject_id=enterprise.id, state="reported", level="community", reported_at=moment,
                  location_manual=False, version=1)
    event.photos = [EventPhoto(media_id=p, position=i) for i, p in enumerate(photos)]
    db.session.add(event)
    log_change("event", event.id, grid_id=grid.id, owner_id=user.id)
    return event


def need_categories():
    root = EventCategory.query.filter_by(code=NEED_ROOT).first()
    if root is None:
        return []
    return (EventCategory.query.filter_by(parent_id=root.id, active=True)
            .order_by(EventCategory.sort_order).all())


def record_need(user, event_id, data, at=None):
    """An enterprise need (企业诉求), opened as a case. Raises Rejected / Forbidden."""
    enterprise = _new_record_for(user, Event, event_id, data)
    errors = {}
    category = next((c for c in need_categories() if c.id == data.get("category_id")), None)
    if category is None:
        errors["category_id"] = [str(_l("请选择企业诉求的类别"))]
    description = str(data.get("description") or "").strip()
    if not description or len(description) > 2000:
        errors["description"] = [str(_l("请写明企业的诉求（最多 2000 字）"))]
    urgency = data.get("urgency") or "normal"
    if urgency not in ("normal", "urgent", "critical"):
        errors["urgency"] = [str(_l("紧急程度无效"))]
    if errors:
        raise Rejected(errors)
    photos = own_photos(user, data.get("photos"))
    moment = clock.recorded_at(at)
    event = _open_case(user, event_id, category, description, enterprise, urgency, photos, moment)
    db.session.flush()
    return event


record_handler("enterprise.need", record_need, lambda e: {"record_id": e.id, "version": e.version})


# --- the economic survey ---------------------------------------------------------------------

def survey_for_grid(grid):
    """The active survey the grid's enterprises answer: its street's, else its district's."""
    for unit_id in (grid.street_id, grid.district_id):
        survey = (EconomicSurvey.query.filter_by(owner_unit_id=unit_id, active=True)
                  .order_by(EconomicSurvey.id.desc()).first())
        if survey is not None:
            return survey
    return None


def answer_survey(user, answer_id, data, at=None):
    enterprise = _new_record_for(user, SurveyAnswer, answer_id, data)
    survey_id = data.get("survey_id")
    survey = db.session.get(EconomicSurvey, survey_id) if isinstance(survey_id, int) else None
    grid = db.session.get(Grid, enterprise.grid_id)
    current = survey_for_grid(grid)
    if survey is None or current is None or survey.series != current.series:
        raise Rejected({"survey_id": [str(_l("这份调查不适用于该企业"))]}, code="not_found")
    if survey.id != current.id or data.get("version") != survey.version:
        raise Rejected({"survey_id": [str(_l("调查问卷已更新，请刷新后重新填写"))]}, code="stale")
    period = _month(data, _l("调查月份无效"))
    if SurveyAnswer.query.filter_by(series=survey.series, enterprise_id=enterprise.id,
                                    period=period).first():
        raise Rejected({"period": [str(_l("该企业本月已填报"))]}, code="exists")
    photos = own_photos(user, data.get("photos"))
    answers, errors = clean_answers(survey.questions, data.get("answers"), photos)
    if not answers and not errors:
        errors["answers"] = [str(_l("请至少回答一题"))]
    if errors:
        raise Rejected(errors)
    row = SurveyAnswer(id=answer_id, survey_id=survey.id, series=survey.series, enterprise_id=enterprise.id,
                       grid_id=enterprise.grid_id, period=period, answers=answers, photos=photos,
                       author_id=user.id, answered_at=clock.recorded_at(at))
    db.session.add(row)
    db.session.flush()
    return row


record_handler("enterprise.answer", answer_survey)


def save_survey(user, owner_unit, title, questions, survey=None):
    """A new survey, or a change to one: a new version when its questions change (answers keep
    the version they were given against). Raises Rejected / Forbidden."""
    if not (may(user, "enterprise.surveys") and scope_for(user).covers_unit(owner_unit.id)):
        raise Forbidden(_l("你不能修改这份调查"))
    title = (title or "").strip()
    if not title or len(title) > 120:
        raise Rejected({"title": [str(_l("请填写标题（最多 120 字）"))]})
    if not questions:
        raise Rejected({"questions": [str(_l("请至少设置一道题"))]})
    if survey is not None and not survey.active:
        raise Rejected({"title": [str(_l("这份问卷已有新版本，请在最新版本上修改"))]}, code="stale")
    if survey is not None and survey.questions == questions:
        survey.title = title
        db.session.flush()
        return survey
    version = 1
    series = str(uuid.uuid4())
    if survey is not None:
        survey.active = False
        series = survey.series
        newest = db.session.query(func.max(EconomicSurvey.version)).filter_by(series=series).scalar()
        version = (newest or 0) + 1
    for old in EconomicSurvey.query.filter_by(owner_unit_id=owner_unit.id, active=True):
        old.active = False  # one survey in force per street
    row = EconomicSurvey(series=series, version=version, title=title, questions=questions,
                         owner_unit_id=owner_unit.id, created_by=user.id)
    db.session.add(row)
    db.session.flush()
    return row


def answers_table(survey, period, user):
    """The answers to a survey series for one month, as a table (header first), in scope."""
    scope = scope_for(user)
    versions = {s.id: s for s in EconomicSurvey.query.filter_by(series=survey.series)}
    questions = survey.questions
    rows = (SurveyAnswer.query.filter(SurveyAnswer.series == survey.series, SurveyAnswer.period == period,
                                      scope.grid_clause(SurveyAnswer.grid_id))
            .order_by(SurveyAnswer.answered_at).all())
    table = [["企业", "统一社会信用代码", "网格", "问卷版本", "填报时间"] + [q["label"] for q in questions]]
    for r in rows:
        values = [r.answers.get(q["id"], "") for q in questions]
        table.append([r.enterprise.name, (r.enterprise.data or {}).get("uscc", ""),
                      db.session.get(Grid, r.grid_id).name, versions[r.survey_id].version,
                      local_time(r.answered_at)]
                     + ["、".join(v) if isinstance(v, list) else v for v in values])
    return table


# --- risk screening --------------------------------------------------------------------------

def screen(user, screening_id, data, at=None):
    """A month's risk screening of one enterprise; each risk found opens an event."""
    enterprise = _new_record_for(user, RiskScreening, screening_id, data)
    period = _month(data, _l("排查月份无效"))
    if RiskScreening.query.filter_by(enterprise_id=enterprise.id, period=period).first():
        raise Rejected({"period": [str(_l("该企业本月已排查"))]}, code="exists")
    results = data.get("results") if isinstance(data.get("results"), dict) else {}
    notes = data.get("notes") if isinstance(data.get("notes"), dict) else {}
    errors = {}
    missing = [k for k in RISK_ITEMS if results.get(k) not in RESULT_LABELS]
    if missing:
        errors["results"] = [str(_l("请逐项填写排查结果"))]
    for item, result in results.items():
        if item in RISK_ITEMS and result == "risk" and not str(notes.get(item) or "").strip():
            errors[f"notes.{item}"] = [str(_l("请写明发现的风险"))]
    if errors:
        raise Rejected(errors)
    photos = own_photos(user, data.get("photos"))
    moment = clock.recorded_at(at)
    codes = {c.code: c for c in EventCategory.query.filter(EventCategory.code.in_(
        [code for _label, code in RISK_ITEMS.values()]))}
    event_ids = []
    for item, (label, code) in RISK_ITEMS.items():
        if results[item] != "risk" or code not in codes:
            continue
        # Named from the screening, so a replayed screening can never open the event twice.
        event_id = str(uuid.uuid5(uuid.UUID(screening_id), item))
        description = f"【风险排查·{label}】{enterprise.name}：{str(notes[item]).strip()[:1500]}"
        _open_case(user, event_id, codes[code], description, enterprise, "normal", photos[:1], moment)
        event_ids.append(event_id)
    row = RiskScreening(id=screening_id, enterprise_id=enterprise.id, grid_id=enterprise.grid_id,
                        period=period, results={k: results[k] for k in RISK_ITEMS},
                        notes={k: str(v).strip()[:500] for k, v in notes.items() if k in RISK_ITEMS and v},
                        photos=photos, event_ids=event_ids, author_id=user.id, screened_at=moment)
    db.session.add(row)
    db.session.flush()
    return row


record_handler("enterprise.screening", screen, lambda row: {"record_id": row.id, "events": row.event_ids})


def duty_evidence(item, lo, hi):
    """Risk screenings count as enterprise visits (the checklist's 企业走访（服务专员）: a visit
    item limited to organisations); for other items, nothing."""
    flt = item.evidence_filter or {}
    author = RiskScreening.author_id
    query = db.select(author, func.count()).select_from(RiskScreening).where(
        RiskScreening.screened_at >= lo, RiskScreening.screened_at < hi)
    if item.evidence != "visit" or flt.get("kind") != "organisation" or flt.get("tag"):
        query = query.where(false())
    return author, query


# --- scope -----------------------------------------------------------------------------------

def _oversees_grid(user, grid_id):
    return may(user, "enterprise.oversee") and scope_for(user).covers_grid(grid_id)


@rule(EconomicSurvey)
def _survey_rule(user, survey, action):
    scope = scope_for(user)
    if action == CHANGE:
        return may(user, "enterprise.surveys") and scope.covers_unit(survey.owner_unit_id)
    return ((may(user, "enterprise.oversee") or may(user, "enterprise.surveys"))
            and scope.covers_unit(survey.owner_unit_id)) or scope.is_admin


@rule(SurveyAnswer)
def _answer_rule(user, answer, action):
    return action == VIEW and (answer.author_id == user.id or _oversees_grid(user, answer.grid_id))


@rule(RiskScreening)
def _screening_rule(user, screening, action):
    return action == VIEW and (screening.author_id == user.id or _oversees_grid(user, screening.grid_id))


@photo_holder
def _answer_photos(media):
    return rows_naming(SurveyAnswer, SurveyAnswer.photos, media, SurveyAnswer.author_id)


@photo_holder
def _screening_photos(media):
    return rows_naming(RiskScreening, RiskScreening.photos, media, RiskScreening.author_id)


# --- the street's and district's view --------------------------------------------------------

def overview(user, day=None):
    """Per exclusive grid in scope: enterprises, needs by state and on time, this month's survey
    coverage and screenings, and the risks still open."""
    scope = scope_for(user)
    day = day or clock.local_today()
    period = period_of(day)
    grids = Grid.query.filter(Grid.kind == "exclusive", scope.grid_clause()).order_by(Grid.code).all()
    ids = [g.id for g in grids]
    if not ids:
        return period, []
    root = EventCategory.query.filter_by(code=NEED_ROOT).first()
    need_cats = db.select(EventCategory.id).where(EventCategory.parent_id == (root.id if root else -1))
    needs = db.session.execute(
        db.select(Event.grid_id, Event.state, Event.close_type, func.count())
        .where(Event.grid_id.in_(ids), Event.subject_id.isnot(None), Event.category_id.in_(need_cats),
               Event.deleted_at.is_(None))
        .group_by(Event.grid_id, Event.state, Event.close_type)).all()
    answered = dict(db.session.execute(
        db.select(SurveyAnswer.grid_id, func.count(func.distinct(SurveyAnswer.enterprise_id)))
        .where(SurveyAnswer.grid_id.in_(ids), SurveyAnswer.period == period)
        .group_by(SurveyAnswer.grid_id)).all())
    screened = dict(db.session.execute(
        db.select(RiskScreening.grid_id, func.count()).where(RiskScreening.grid_id.in_(ids),
                                                             RiskScreening.period == period)
        .group_by(RiskScreening.grid_id)).all())
    risk_ids = [e for (ids_,) in db.session.execute(db.select(RiskScreening.event_ids).where(
        RiskScreening.grid_id.in_(ids))) for e in (ids_ or [])]
    open_risks = dict(db.session.execute(
        db.select(Event.grid_id, func.count()).where(Event.id.in_(risk_ids), Event.state.in_(OPEN_STATES))
        .group_by(Event.grid_id)).all()) if risk_ids else {}
    firms: dict = {}
    for record in enterprises_of(set(ids)):
        firms[record.grid_id] = firms.get(record.grid_id, 0) + 1
    rows = []
    for grid in grids:
        enterprises = firms.get(grid.id, 0)
        mine = [(state, close, n) for g, state, close, n in needs if g == grid.id]
        closed = sum(n for state, _c, n in mine if state == "closed")
        on_time = sum(n for state, c, n in mine if state == "closed" and c == "on_time")
        by_state: dict = {}
        for state, _c, n in mine:
            by_state[state] = by_state.get(state, 0) + n
        rows.append({
            "grid": grid, "enterprises": enterprises, "by_state": by_state,
            "needs_open": sum(n for state, _c, n in mine if state in OPEN_STATES),
            "needs_closed": closed, "on_time_rate": round(100 * on_time / closed, 1) if closed else None,
            "surveyed": answered.get(grid.id, 0), "screened": screened.get(grid.id, 0),
            "coverage": round(100 * answered.get(grid.id, 0) / enterprises, 1) if enterprises else None,
            "risks_open": open_risks.get(grid.id, 0),
        })
    return period, rows


def officer_status(user, enterprises, period):
    """{enterprise id: {"surveyed", "screened", "needs_open"}} for the officer's page."""
    ids = [e.id for e in enterprises]
    if not ids:
        return {}
    surveyed = {r for (r,) in db.session.execute(db.select(SurveyAnswer.enterprise_id).where(
        SurveyAnswer.enterprise_id.in_(ids), SurveyAnswer.period == period))}
    screened = {r for (r,) in db.session.execute(db.select(RiskScreening.enterprise_id).where(
        RiskScreening.enterprise_id.in_(ids), RiskScreening.period == period))}
    open_needs = dict(db.session.execute(db.select(Event.subject_id, func.count()).where(
        Event.subject_id.in_(ids), Event.state.in_(OPEN_STATES), Event.deleted_at.is_(None))
        .group_by(Event.subject_id)).all())
    return {i: {"surveyed": i in surveyed, "screened": i in screened, "needs_open": open_needs.get(i, 0)}
            for i in ids}

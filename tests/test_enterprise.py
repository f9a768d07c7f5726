"""Enterprise service in exclusive grids: enterprises as registry organisations (USCC checked),
their needs opened as cases on the closed loop with their own limits, the monthly economic
survey (versioned, one answer per enterprise per month, XLSX), the risk screening whose risks
open events, and the street's and district's overview."""
import io
import json
import re
import uuid

import pytest
from openpyxl import load_workbook

from app import clock
from app.auth.models import User
from app.enterprise import services as enterprise
from app.enterprise.models import EconomicSurvey, RiskScreening, SurveyAnswer
from app.events import workflow
from app.events.models import Event, EventCategory
from app.extensions import db
from app.org.models import Department, Grid
from app.registry.models import RegistryRecord
from app.transaction import unit_of_work
from tests.conftest import csrf_from
from tests.support import Phone


@pytest.fixture
def officer(demo, login, app, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    return Phone(login("officer"))


def firm(name="济南恒泰信息技术有限公司"):
    return RegistryRecord.query.filter_by(kind="organisation", name=name).one()


def need(phone, record, code="QY02", **extra):
    category = EventCategory.query.filter_by(code=code).one()
    data = {"enterprise_id": record.id, "category_id": category.id, "description": "需要招聘 5 名网格化客服"}
    data.update(extra)
    event_id = str(uuid.uuid4())
    return event_id, phone.push("enterprise.need", event_id, data)


def period():
    return enterprise.period_of(clock.local_today())


def test_a_need_is_a_case_on_the_closed_loop_with_its_own_limit(officer, login):
    record = firm()
    event_id, result = need(officer, record)
    assert result["status"] == "applied", result
    event = db.session.get(Event, event_id)
    assert (event.subject_id, event.source, event.state) == (record.id, "enterprise", "reported")
    assert event.grid_id == record.grid_id
    # The community accepts it; the street hands it to its enterprise service centre; the
    # deadline follows 用工需求's own limit (5 working days), not the major category's.
    secretary, street = (User.query.filter_by(username=u).one() for u in ("s-qcl-acs", "street"))
    with unit_of_work():
        workflow.transition(secretary, event_id, "escalate", 1)
    centre = Department.query.filter_by(code="LX-QCL-QF").one()
    with unit_of_work():
        workflow.transition(street, event_id, "accept", 2)
    with unit_of_work():
        workflow.transition(street, event_id, "dispatch", 3, department_id=centre.id)
    db.session.refresh(event)
    assert event.department_id == centre.id and event.state == "dispatched"
    working_days = (event.deadline_at - event.dispatched_at).days
    assert 5 <= working_days <= 9  # five working days, weekends and holidays between
    page = login("s-qcl-acs").get(f"/events/{event_id}").get_data(as_text=True)
    assert "济南恒泰信息技术有限公司" in page


def test_needs_only_for_the_officers_own_enterprises(officer, login):
    before = Event.query.count()
    other_grid = RegistryRecord.query.filter_by(kind="organisation", name="济南明湖文旅发展有限公司").one()
    _id, result = need(officer, other_grid)
    assert result["status"] == "rejected" and result["code"] == "not_found"
    building = RegistryRecord.query.filter_by(kind="building", name="恒隆广场写字楼").one()
    _id, result = need(officer, building)
    assert result["status"] == "rejected"
    _id, result = need(officer, firm(), code="SR01")  # not an enterprise need
    assert result["status"] == "rejected" and "category_id" in result["errors"]
    _id, result = need(officer, firm(), description="")
    assert result["status"] == "rejected" and "description" in result["errors"]
    worker = Phone(login("worker"))
    _id, result = need(worker, firm())
    assert result["status"] in ("forbidden", "rejected")
    assert Event.query.count() == before


def test_the_survey_is_answered_once_a_month_and_a_new_version_keeps_old_answers(officer, login):
    survey = EconomicSurvey.query.filter_by(active=True).one()
    record = firm("济南泉城餐饮管理有限公司")  # the third firm: not surveyed yet this month
    assert not SurveyAnswer.query.filter_by(enterprise_id=record.id, period=period()).first()
    answer = {"survey_id": survey.id, "version": survey.version, "enterprise_id": record.id,
              "period": period(), "answers": {"q1": 120, "q2": 22, "q3": "一般", "q4": ["用工", "成本"]}}
    missing = officer.push("enterprise.answer", str(uuid.uuid4()), {**answer, "answers": {"q1": 120}})
    assert missing["status"] == "rejected" and "q2" in missing["errors"]
    assert officer.push("enterprise.answer", str(uuid.uuid4()), answer)["status"] == "applied"
    again = officer.push("enterprise.answer", str(uuid.uuid4()), answer)
    assert again["status"] == "rejected" and again["code"] == "exists"

    street = login("street")
    page = street.get(f"/enterprise/surveys/{survey.id}").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "title": survey.title, "owner_unit_id": survey.owner_unit_id,
            "rows": 6}
    for n, q in enumerate(survey.questions, start=1):
        form.update({f"q{n}-label": q["label"], f"q{n}-type": q["type"],
                     f"q{n}-options": "\n".join(q["options"]),
                     f"q{n}-required": "y" if q["required"] else ""})
    form["q6-label"], form["q6-type"] = "本月新增订单（份）", "number"
    assert street.post(f"/enterprise/surveys/{survey.id}", data=form).status_code == 302
    current = EconomicSurvey.query.filter_by(active=True).one()
    assert (current.series, current.version, len(current.questions)) == (survey.series, 2, 6)
    stale = officer.push("enterprise.answer", str(uuid.uuid4()), {
        **answer, "enterprise_id": firm("济南恒泰信息技术有限公司").id, "period": "2026-01"})
    assert stale["status"] == "rejected" and stale["code"] == "stale"
    sheet = load_workbook(io.BytesIO(street.get(
        f"/enterprise/surveys/{current.id}/answers.xlsx?period={period()}").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("企业", "统一社会信用代码", "网格", "问卷版本", "填报时间")
    assert any(r[0] == "济南泉城餐饮管理有限公司" and r[3] == 1 and r[7] == "一般" for r in rows[1:])
    assert login("secretary").get(f"/enterprise/surveys/{survey.id}/answers.xlsx").status_code == 404


def test_a_risk_found_in_screening_opens_an_event_once(officer):
    record = firm("济南智远教育咨询有限公司")  # not screened yet this month
    results = {k: "ok" for k in enterprise.RISK_ITEMS}
    partial = officer.push("enterprise.screening", str(uuid.uuid4()), {
        "enterprise_id": record.id, "period": period(), "results": {"fire": "ok"}})
    assert partial["status"] == "rejected" and "results" in partial["errors"]
    results["gas"] = "risk"
    no_note = officer.push("enterprise.screening", str(uuid.uuid4()), {
        "enterprise_id": record.id, "period": period(), "results": results})
    assert no_note["status"] == "rejected" and "notes.gas" in no_note["errors"]
    screening_id = str(uuid.uuid4())
    mutation = officer.mutation("enterprise.screening", screening_id, {
        "enterprise_id": record.id, "period": period(), "results": results,
        "notes": {"gas": "后厨燃气软管老化"}})
    first = officer.send(mutation).get_json()["results"][0]
    replay = officer.send(mutation).get_json()["results"][0]
    assert (first["status"], replay["status"]) == ("applied", "duplicate")
    row = db.session.get(RiskScreening, screening_id)
    assert len(row.event_ids) == 1
    event = db.session.get(Event, row.event_ids[0])
    assert event.category.code == "AQ03" and event.subject_id == record.id
    assert "燃气软管老化" in event.description
    again = officer.push("enterprise.screening", str(uuid.uuid4()), {
        "enterprise_id": record.id, "period": period(), "results": {k: "ok" for k in enterprise.RISK_ITEMS}})
    assert again["status"] == "rejected" and again["code"] == "exists"


def test_the_overview_shows_needs_coverage_and_open_risks(demo, login):
    page = login("street").get("/enterprise/overview").get_data(as_text=True)
    assert "恒隆广场专属网格" in page and "大明湖景区专属网格" not in page  # the street's own
    _period, rows = enterprise.overview(User.query.filter_by(username="command").one())
    by_grid = {r["grid"].code: r for r in rows}
    hl = by_grid["LX-QCL-ACS-03"]
    assert hl["enterprises"] == 6 and hl["surveyed"] == 4 and hl["coverage"] == pytest.approx(66.7)
    assert hl["risks_open"] == 1 and hl["needs_closed"] == 3 and hl["on_time_rate"] == pytest.approx(66.7)
    assert login("command").get("/enterprise/overview").status_code == 200
    assert login("secretary").get("/enterprise/overview").status_code == 404


def test_the_officers_page_is_kept_offline_and_carries_no_contacts(demo, login):
    client = login("officer")
    page = client.get("/enterprise")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-cache"
    block = re.search(r'<script type="application/json" id="ent-data">(.*?)</script>', html, re.S)
    data = json.loads(block.group(1))
    names = {e["name"] for e in data["enterprises"]}
    assert "济南恒泰信息技术有限公司" in names and "济南明湖文旅发展有限公司" not in names
    text = json.dumps(data, ensure_ascii=False) + html
    assert "经理" not in text and not re.search(r"1[3589]\d{9}", text)  # no contact's name or number
    assert client.get("/").status_code == 200 and "企业服务" in client.get("/").get_data(as_text=True)
    assert login("worker").get("/enterprise").status_code == 404


def test_enterprise_fields_and_a_checked_uscc(demo, login):
    record = firm()
    assert (record.data["industry"], record.data["floor"], record.data["scale"]) == ("I", "12F", "small")
    officer = Phone(login("officer"))
    grid = Grid.query.filter_by(code="LX-QCL-ACS-03").one()
    _id, bad = officer.create("organisation", {"grid_id": grid.id, "name": "错码公司",
                                               "org_type": "enterprise", "uscc": "91370102MA3C5G8X20"},
                              form_version=2)
    assert bad["status"] == "rejected" and "uscc" in bad["errors"]


def test_saving_an_older_version_of_a_survey_is_refused_with_a_reason(demo, login):
    """Found by an outside probe: a second save from the first version's page gave a 500."""
    street = login("street")
    survey = EconomicSurvey.query.filter_by(active=True).one()

    def save(label):
        page = street.get(f"/enterprise/surveys/{survey.id}").get_data(as_text=True)
        return street.post(f"/enterprise/surveys/{survey.id}", data={
            "csrf_token": csrf_from(page), "title": survey.title, "owner_unit_id": survey.owner_unit_id,
            "rows": 6, "q1-label": label, "q1-type": "number"})

    assert save("本月用电量（千瓦时）").status_code == 302
    stale = save("本月用水量（吨）")
    assert stale.status_code in (200, 404)
    assert EconomicSurvey.query.filter_by(series=survey.series).count() == 2
    if stale.status_code == 200:
        assert "新版本" in stale.get_data(as_text=True)


def test_screenings_count_as_the_officers_enterprise_visits(demo, login):
    """The checklist's 企业走访（服务专员） counts the officer's screenings of the month."""
    from app.duties.services import progress

    officer_user = User.query.filter_by(username="officer").one()
    today = clock.local_today()
    _checklist, rows = progress(officer_user.id, today)
    visits = next(row for row in rows if row[0].title == "企业走访（服务专员）")
    mine = RiskScreening.query.filter_by(author_id=officer_user.id).all()
    this_month = [r for r in mine if clock.local_day(r.screened_at).replace(day=1) == today.replace(day=1)]
    assert visits[2] == len(this_month) > 0
    elderly = next(row for row in rows if row[0].title == "独居老人走访")
    assert elderly[2] == 0  # other visit items are not screenings
    assert login("officer").get("/duties").status_code == 200

"""Enterprise service pages: the officer's phone page (offline, through the outbox), the street's
and district's overview, and the economic survey's builder and results."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from .. import clock
from ..errors import DomainError
from ..events.workflow import STATE_LABELS
from ..exports import table_download
from ..org.models import Grid, OrgUnit
from ..registry.forms import INDUSTRIES
from ..scope.permissions import requires
from ..scope.services import CHANGE, get_or_404, scope_for
from ..tasks.forms import QUESTION_LABELS, builder_rows
from ..tasks.services import MAX_QUESTIONS, clean_questions
from ..transaction import unit_of_work
from . import services
from .models import EconomicSurvey

bp = Blueprint("enterprise", __name__, url_prefix="/enterprise")


@bp.before_request
@login_required
def _signed_in():
    pass


def officer_page():
    """The officer's enterprises with this month's survey and screening; kept for offline use."""
    grid_ids = services.officer_grid_ids(current_user)
    enterprises = services.enterprises_of(grid_ids)
    period = services.period_of(clock.local_today())
    status = services.officer_status(current_user, enterprises, period)
    industries = dict(INDUSTRIES)
    rows = [{"id": e.id, "name": e.name, "floor": (e.data or {}).get("floor", ""),
             "industry": str(industries.get((e.data or {}).get("industry"), "")), **status.get(e.id, {})}
            for e in enterprises]
    surveys = {}
    for grid in Grid.query.filter(Grid.id.in_(grid_ids)):
        survey = services.survey_for_grid(grid)
        if survey:
            surveys[survey.id] = {"id": survey.id, "version": survey.version, "title": survey.title,
                                  "questions": survey.questions}
    survey = next(iter(surveys.values()), None)
    categories = [{"id": c.id, "name": c.name} for c in services.need_categories()]
    risks = {k: str(label) for k, (label, _code) in services.RISK_ITEMS.items()}
    return render_template("enterprise/officer.html", enterprises=rows, period=period, survey=survey,
                           categories=categories, risks=risks,
                           results={k: str(v) for k, v in services.RESULT_LABELS.items()})


@bp.get("")
@requires("enterprise.serve")
def officer():
    return officer_page()


@bp.get("/overview")
@requires("enterprise.oversee")
def overview():
    period, rows = services.overview(current_user)
    return render_template("enterprise/overview.html", period=period, rows=rows, STATES=STATE_LABELS)


def _owner_units():
    scope = scope_for(current_user)
    return [u for u in OrgUnit.query.filter(OrgUnit.level.in_(("street", "district"))).order_by(OrgUnit.code)
            if scope.covers_unit(u.id)]


@bp.get("/surveys")
@requires("enterprise.surveys")
def surveys():
    units = _owner_units()
    rows = (EconomicSurvey.query.filter(EconomicSurvey.owner_unit_id.in_([u.id for u in units]))
            .order_by(EconomicSurvey.active.desc(), EconomicSurvey.id.desc()).all())
    return render_template("enterprise/surveys.html", surveys=rows,
                           period=services.period_of(clock.local_today()))


@bp.route("/surveys/new", methods=["GET", "POST"])
@bp.route("/surveys/<int:survey_id>", methods=["GET", "POST"])
@requires("enterprise.surveys")
def survey_form(survey_id=None):
    survey = get_or_404(current_user, EconomicSurvey, survey_id, CHANGE) if survey_id else None
    units = _owner_units()
    if not units:
        abort(404)
    if request.method == "GET" and survey:
        rows = [{"type": q["type"], "label": q["label"], "options": "\n".join(q["options"]),
                 "required": q["required"]} for q in survey.questions]
        rows += builder_rows(MultiDict(), MAX_QUESTIONS)[len(rows):]
    else:
        rows = builder_rows(request.form, MAX_QUESTIONS)
    errors, question_errors = {}, {}
    title = request.form.get("title", survey.title if survey else "")
    default_owner = survey.owner_unit_id if survey else units[0].id
    owner_id = request.form.get("owner_unit_id", type=int) or default_owner
    if request.method == "POST" and not request.form.get("more"):  # CSRF: checked for every POST
        questions, question_errors = clean_questions(rows)
        owner = next((u for u in units if u.id == owner_id), None)
        if owner is None:
            errors["owner_unit_id"] = [_("请选择街道")]
        elif not question_errors:
            try:
                with unit_of_work():
                    saved = services.save_survey(current_user, owner, title, questions, survey)
                flash(_("已保存 %(t)s（第 %(v)d 版）", t=saved.title, v=saved.version), "info")
                return redirect(url_for("enterprise.surveys"))
            except DomainError as exc:
                errors = exc.fields or {"title": [exc.text()]}
    return render_template("enterprise/survey_form.html", survey=survey, rows=rows, units=units,
                           owner_id=owner_id, title=title, errors=errors, question_errors=question_errors,
                           QUESTION_LABELS=QUESTION_LABELS)


@bp.get("/surveys/<int:survey_id>/answers.xlsx")
@requires("enterprise.surveys")
def survey_answers(survey_id):
    survey = get_or_404(current_user, EconomicSurvey, survey_id)
    period = request.args.get("period") or services.period_of(clock.local_today())
    if len(period) != 7 or period[4] != "-" or not (period[:4] + period[5:]).isdigit():
        abort(404)
    return table_download("xlsx", f"economic-survey-{period}.xlsx",
                          [(period, services.answers_table(survey, period, current_user))])

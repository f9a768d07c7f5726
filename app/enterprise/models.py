"""Enterprise service in exclusive grids (专属网格): the monthly economic survey answered per
enterprise, and the risk screening of each enterprise each month. Enterprise needs (企业诉求)
are events on the closed loop, with the enterprise as the event's subject."""
from .. import clock
from ..extensions import Made, db, required_ref


class EconomicSurvey(Made, db.Model):
    """One version of a survey. A changed survey is a new version of the same series; answers
    name the version they were given against."""

    __tablename__ = "economic_survey"

    id = db.Column(db.Integer, primary_key=True)
    series = db.Column(db.String(36), nullable=False, index=True)  # the same for every version
    version = db.Column(db.Integer, nullable=False, default=1)
    title = db.Column(db.String(120), nullable=False)
    questions = db.Column(db.JSON, nullable=False, default=list)  # the task builder's format
    owner_unit_id = required_ref("org_unit.id")  # the street (or district) whose enterprises answer
    active = db.Column(db.Boolean, nullable=False, default=True)

    owner_unit = db.relationship("OrgUnit")

    __table_args__ = (db.UniqueConstraint("series", "version", name="uq_economic_survey_version"),)


class SurveyAnswer(db.Model):
    __tablename__ = "survey_answer"

    id = db.Column(db.String(36), primary_key=True)  # made on the phone
    survey_id = required_ref("economic_survey.id")
    series = db.Column(db.String(36), nullable=False)
    enterprise_id = db.Column(db.String(36), db.ForeignKey("registry_record.id"), nullable=False, index=True)
    grid_id = required_ref("grid.id")
    period = db.Column(db.String(7), nullable=False)  # YYYY-MM
    answers = db.Column(db.JSON, nullable=False, default=dict)
    photos = db.Column(db.JSON, nullable=False, default=list)
    author_id = required_ref("user.id")
    answered_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    survey = db.relationship("EconomicSurvey")
    enterprise = db.relationship("RegistryRecord")

    # One answer per enterprise per period, whichever version of the survey it was given to.
    __table_args__ = (db.UniqueConstraint("series", "enterprise_id", "period", name="uq_survey_answer_once"),)


class RiskScreening(db.Model):
    __tablename__ = "risk_screening"

    id = db.Column(db.String(36), primary_key=True)  # made on the phone
    enterprise_id = db.Column(db.String(36), db.ForeignKey("registry_record.id"), nullable=False, index=True)
    grid_id = required_ref("grid.id")
    period = db.Column(db.String(7), nullable=False)
    results = db.Column(db.JSON, nullable=False, default=dict)  # item -> ok | risk | na
    notes = db.Column(db.JSON, nullable=False, default=dict)  # item -> what was found
    photos = db.Column(db.JSON, nullable=False, default=list)
    event_ids = db.Column(db.JSON, nullable=False, default=list)  # the events its risks opened
    author_id = required_ref("user.id")
    screened_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    enterprise = db.relationship("RegistryRecord")

    __table_args__ = (db.UniqueConstraint("enterprise_id", "period", name="uq_risk_screening_once"),)

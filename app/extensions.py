"""Flask extensions, created once and bound in the app factory."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import declared_attr

from . import clock

# Named constraints so that Alembic migrations are the same on SQLite and PostgreSQL.
naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=naming_convention))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def required_ref(target):
    """A required, indexed reference to ``target`` ("table.id"): the shape most child rows take."""
    return db.Column(db.Integer, db.ForeignKey(target), nullable=False, index=True)


def owned_rows(model, back_populates, order_by):
    """The rows that belong to this one alone: saved, ordered and deleted with it."""
    return db.relationship(model, back_populates=back_populates, order_by=order_by,
                           cascade="all, delete-orphan")


class Made:
    """Who made a row at the desk, and when: surveys, reporting units, service needs."""

    @declared_attr
    def created_by(cls):
        return required_ref("user.id")

    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)


class LoggedMove:
    """What every log of moves keeps of one move: who made it, when, its note and photos (an
    event's actions, a 帮办 request's steps)."""

    @declared_attr
    def actor_id(cls):
        return db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)

    note = db.Column(db.Text)
    photos = db.Column(db.JSON, nullable=False, default=list)
    at = db.Column(db.DateTime, nullable=False, default=clock.now)

    @declared_attr
    def actor(cls):
        return db.relationship("User", foreign_keys=f"{cls.__name__}.actor_id")

"""Flask extensions, created once and bound in the app factory."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

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

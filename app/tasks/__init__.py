"""Tasks handed to grids (准入 against the duty checklist), surveys and publicity records."""


def register(app):
    from ..duties.services import register_evidence, register_task_codes
    from ..ui import register_badges
    from . import services  # noqa: F401  (the scope rule, the sync handler)
    from .routes import bp

    register_badges("tasks", services.nav_badges)
    register_evidence(("survey_answer", "publicity", "manual"), services.duty_evidence)
    register_task_codes(services.duty_codes)
    app.register_blueprint(bp)

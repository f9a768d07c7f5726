"""The one authorization service: may this user see or change this object (the permissions
table in ``table.py``, the rules per model in ``services.py``)."""


def register(app):
    from .services import register_user_rule

    register_user_rule()  # who may see which user

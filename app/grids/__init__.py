"""Pages that browse the org tree, grids and people, each filtered by the scope service. They
live apart from ``org`` (the tree's models and services), which the scope service is built on,
so the two do not import each other. The blueprint keeps its name, ``org``."""


def register(app):
    from .routes import bp

    app.register_blueprint(bp)

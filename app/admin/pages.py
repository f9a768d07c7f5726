"""Admin pages a feature owns (the category catalogue, the duty checklist…), written with the
usual route decorators but put on the admin blueprint by ``attach`` when the app is built,
rather than by importing the module."""


class AdminPages:
    def __init__(self):
        self._rules = []
        self._attached = set()

    def route(self, rule, **options):
        def record(view):
            self._rules.append((rule, options, view))
            return view
        return record

    def get(self, rule, **options):
        return self.route(rule, methods=["GET"], **options)

    def post(self, rule, **options):
        return self.route(rule, methods=["POST"], **options)

    def attach(self, blueprint):
        """Add the pages to ``blueprint`` once (a blueprint takes no routes after its first
        registration, and tests build several apps from the same blueprints)."""
        if id(blueprint) in self._attached:
            return
        for rule, options, view in self._rules:
            blueprint.add_url_rule(rule, view_func=view, **options)
        self._attached.add(id(blueprint))

"""Admin: the Open311 keys, one per calling system: issue (the key is shown once), revoke."""
from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..admin.pages import AdminPages
from ..audit import services as audit
from ..errors import DomainError
from ..scope.permissions import requires
from ..transaction import unit_of_work
from . import services
from .models import ApiKey

pages = AdminPages()  # attached to the admin blueprint by app.open311.register


@pages.route("/api-keys", methods=["GET", "POST"])
@requires("admin", status=403)
def api_keys():
    shown = None
    if request.method == "POST":
        try:
            with unit_of_work():
                if request.form.get("revoke"):
                    row = ApiKey.query.get_or_404(request.form.get("revoke", type=int))
                    services.revoke_key(row)
                    audit.record("open311.key_revoked", row, detail={"name": row.name})
                    flash(_("已吊销 %(n)s 的密钥", n=row.name), "info")
                else:
                    row, shown = services.issue_key(current_user, request.form.get("name"),
                                                    request.form.get("per_minute", 60, type=int))
                    audit.record("open311.key_issued", row,
                                 detail={"name": row.name, "prefix": row.key_prefix})
        except DomainError as exc:
            flash(exc.text(), "error")
    keys = ApiKey.query.order_by(ApiKey.revoked_at.isnot(None), ApiKey.id.desc()).all()
    return render_template("admin/api_keys.html", keys=keys, shown=shown)

"""双报到 pages: the public join page, the member's phone page (offline, through the outbox), and
the desk where the community and the street keep units, members, needs and confirmations."""
import io

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import DomainError, put_on_form
from ..exports import table_download
from ..org.models import OrgUnit
from ..scope.permissions import may, requires
from ..scope.services import CHANGE, get_or_404
from ..transaction import unit_of_work
from . import services
from .forms import JoinForm, NeedForm, UnitForm, UnitServiceForm
from .models import PartyMember, ReportingUnit, ServiceClaim, ServiceNeed

bp = Blueprint("volunteers", __name__)


# --- the public join page --------------------------------------------------------------------

@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token):
    link = services.link_by_token(token)
    if link is None:
        abort(404)
    form = JoinForm()
    units = (ReportingUnit.query.filter_by(community_id=link.community_id, active=True)
             .order_by(ReportingUnit.name))
    form.unit_id.choices = [(0, _("不属于以下单位"))] + [(u.id, u.name) for u in units]
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.apply_to_join(link, {
                    "name": form.name.data, "phone": form.phone.data, "unit_id": form.unit_id.data or None,
                    "username": form.username.data, "password": form.password.data})
            flash(_("报到申请已提交，社区审核通过后即可认领服务。请用刚设置的用户名登录。"), "info")
            return redirect(url_for("auth.login"))
        except DomainError as exc:
            put_on_form(form, exc, fallback="username")
    response = render_template("volunteers/join.html", form=form, community=link.community)
    return response


# --- the member's phone page -----------------------------------------------------------------

def _member_view(member):
    needs, claims, hours = [], [], (0, 0)
    if member is not None and member.state == "approved":
        open_needs = services.open_needs(member.community_id)
        taken = services.taken_counts([n.id for n in open_needs])
        needs = [services.need_json(n, taken.get(n.id, 0)) for n in open_needs]
        claims = [services.claim_json(c) for c in services.my_claims(member)]
        hours = services.confirmed_hours(member_id=member.id)
    return needs, claims, hours


def serve_page():
    """The member's needs, claims and hours; kept for offline use (no one else's data)."""
    member = services.my_membership(current_user)
    needs, claims, hours = _member_view(member)
    return render_template("volunteers/serve.html", member=member, needs=needs, claims=claims, hours=hours,
                           NEED_LABELS=services.NEED_LABELS, CLAIM_LABELS=services.CLAIM_LABELS,
                           MEMBER_LABELS=services.MEMBER_LABELS)


@bp.get("/serve")
@login_required
@requires("volunteer.serve")
def serve():
    return serve_page()


@bp.get("/serve/mine.json")
@login_required
@requires("volunteer.serve")
def serve_json():
    """The needs and claims as they stand now, for the phone page to refresh from."""
    needs, claims, _hours = _member_view(services.my_membership(current_user))
    response = jsonify({"needs": needs, "claims": claims})
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the desk --------------------------------------------------------------------------------

def _communities():
    communities = services.communities_kept(current_user)
    if not communities:
        abort(404)
    return communities


@bp.get("/volunteers")
@login_required
def desk():
    if not (may(current_user, "volunteer.keep") or may(current_user, "volunteer.hours")):
        abort(404)
    communities = _communities()
    ids = [c.id for c in communities]
    pending = PartyMember.query.filter(PartyMember.community_id.in_(ids), PartyMember.state == "pending") \
        .order_by(PartyMember.applied_at).all()
    members = PartyMember.query.filter(PartyMember.community_id.in_(ids), PartyMember.state == "approved") \
        .order_by(PartyMember.name).limit(200).all()
    needs = ServiceNeed.query.filter(ServiceNeed.community_id.in_(ids)).order_by(
        ServiceNeed.state, ServiceNeed.created_at.desc()).limit(100).all()
    taken = services.taken_counts([n.id for n in needs])
    units = ReportingUnit.query.filter(ReportingUnit.community_id.in_(ids)).order_by(ReportingUnit.name).all()
    month = services.parse_month("")
    totals = {c.id: services.confirmed_hours(month, community_id=c.id) for c in communities}
    return render_template("volunteers/desk.html", communities=communities, pending=pending, members=members,
                           needs=needs, taken=taken, units=units, waiting=services.waiting_to_confirm(ids),
                           totals=totals, month=month, can_keep=may(current_user, "volunteer.keep"),
                           can_units=may(current_user, "volunteer.units"),
                           NEED_LABELS=services.NEED_LABELS,
                           member_hours=services.hours_by_member([m.id for m in members]))


@bp.post("/volunteers/members/<int:member_id>/decide")
@login_required
@requires("volunteer.keep")
def decide(member_id):
    member = get_or_404(current_user, PartyMember, member_id, CHANGE)
    try:
        with unit_of_work():
            services.decide_member(current_user, member, request.form.get("approve") == "1",
                                   request.form.get("note", ""))
        flash(_("已处理 %(name)s 的报到申请", name=member.name), "info")
    except DomainError as exc:
        flash(exc.text(), "error")
    return redirect(url_for("volunteers.desk"))


@bp.route("/volunteers/needs/new", methods=["GET", "POST"])
@login_required
@requires("volunteer.keep")
def need_new():
    communities = _communities()
    form = NeedForm()
    form.community_id.choices = [(c.id, c.name) for c in communities]
    if form.validate_on_submit():
        community = next(c for c in communities if c.id == form.community_id.data)
        try:
            with unit_of_work():
                need = services.publish_need(current_user, community, {
                    "kind": form.kind.data, "title": form.title.data, "detail": form.detail.data,
                    "starts_on": form.starts_on.data, "ends_on": form.ends_on.data,
                    "slots": form.slots.data, "hours": form.hours.data})
            flash(_("已发布 %(t)s", t=need.title), "info")
            return redirect(url_for("volunteers.desk"))
        except DomainError as exc:
            put_on_form(form, exc, fallback="title")
    return render_template("volunteers/need_form.html", form=form)


@bp.post("/volunteers/needs/<int:need_id>/close")
@login_required
@requires("volunteer.keep")
def need_close(need_id):
    need = get_or_404(current_user, ServiceNeed, need_id, CHANGE)
    with unit_of_work():
        services.close_need(current_user, need)
    flash(_("已结束 %(t)s", t=need.title), "info")
    return redirect(url_for("volunteers.desk"))


@bp.post("/volunteers/claims/<claim_id>/confirm")
@login_required
@requires("volunteer.keep")
def claim_confirm(claim_id):
    row = get_or_404(current_user, ServiceClaim, claim_id, CHANGE)
    try:
        with unit_of_work():
            services.confirm(current_user, row, request.form.get("accept") == "1",
                             request.form.get("note", ""))
        flash(_("已确认") if row.state == "confirmed" else _("已退回"), "info")
    except DomainError as exc:
        flash(exc.text(), "error")
    return redirect(url_for("volunteers.desk"))


@bp.route("/volunteers/units/new", methods=["GET", "POST"])
@login_required
@requires("volunteer.units")
def unit_new():
    communities = _communities()
    form = UnitForm()
    form.community_id.choices = [(c.id, c.name) for c in communities]
    if form.validate_on_submit():
        community = next(c for c in communities if c.id == form.community_id.data)
        try:
            with unit_of_work():
                unit = services.register_unit(current_user, community, {
                    "name": form.name.data, "uscc": form.uscc.data, "contact_name": form.contact_name.data,
                    "phone": form.phone.data})
            flash(_("已登记 %(n)s", n=unit.name), "info")
            return redirect(url_for("volunteers.unit_detail", unit_id=unit.id))
        except DomainError as exc:
            put_on_form(form, exc, fallback="name")
    return render_template("volunteers/unit_form.html", form=form)


@bp.route("/volunteers/units/<int:unit_id>", methods=["GET", "POST"])
@login_required
def unit_detail(unit_id):
    unit = get_or_404(current_user, ReportingUnit, unit_id)
    form = UnitServiceForm()
    needs = (ServiceNeed.query.filter_by(community_id=unit.community_id, state="open")
             .order_by(ServiceNeed.id).all())
    form.need_id.choices = [(n.id, n.title) for n in needs]
    if may(current_user, "volunteer.keep") and form.validate_on_submit():
        need = next((n for n in needs if n.id == form.need_id.data), None)
        try:
            if need is None:
                abort(400)
            with unit_of_work():
                services.record_unit_service(current_user, unit, need, form.hours.data, form.note.data)
            flash(_("已记录单位服务"), "info")
            return redirect(url_for("volunteers.unit_detail", unit_id=unit.id))
        except DomainError as exc:
            put_on_form(form, exc, fallback="note")
    month = services.parse_month("")
    members = PartyMember.query.filter_by(unit_id=unit.id, state="approved").order_by(PartyMember.name).all()
    return render_template("volunteers/unit.html", unit=unit, form=form, members=members, month=month,
                           month_hours=services.confirmed_hours(month, unit_id=unit.id),
                           total_hours=services.confirmed_hours(unit_id=unit.id),
                           can_keep=may(current_user, "volunteer.keep"),
                           member_hours=services.hours_by_member([m.id for m in members]))


@bp.get("/volunteers/units/<int:unit_id>/report.xlsx")
@login_required
def unit_report(unit_id):
    unit = get_or_404(current_user, ReportingUnit, unit_id)
    month = services.parse_month(request.args.get("month", ""))
    if month is None:
        abort(404)
    rows = services.unit_month_rows(unit, month)
    return table_download("xlsx", f"service-{unit.id}-{month:%Y-%m}.xlsx",
                          [(f"{month:%Y-%m}", [[f"{unit.name} 双报到服务月报 {month:%Y-%m}"]] + rows)])


@bp.get("/volunteers/join-link/<int:community_id>")
@login_required
@requires("volunteer.keep")
def join_link(community_id):
    community = get_or_404(current_user, OrgUnit, community_id)
    try:
        with unit_of_work():
            link = services.join_link(current_user, community)
    except DomainError:
        abort(404)
    url = url_for("volunteers.join", token=link.token, _external=True)
    return render_template("volunteers/join_link.html", community=community, url=url,
                           qr_url=url_for("volunteers.join_qr", community_id=community.id))


@bp.get("/volunteers/join-link/<int:community_id>/qr.svg")
@login_required
@requires("volunteer.keep")
def join_qr(community_id):
    import segno

    community = get_or_404(current_user, OrgUnit, community_id)
    try:
        with unit_of_work():
            link = services.join_link(current_user, community)
    except DomainError:
        abort(404)
    out = io.BytesIO()
    segno.make(url_for("volunteers.join", token=link.token, _external=True), error="m").save(
        out, kind="svg", scale=6, border=2, title=f"{community.name} 党员报到")
    return Response(out.getvalue(), mimetype="image/svg+xml")


@bp.get("/volunteers/hours")
@login_required
def hours():
    if not (may(current_user, "volunteer.hours") or may(current_user, "volunteer.keep")):
        abort(404)
    month = services.parse_month(request.args.get("month", ""))
    if month is None:
        abort(404)
    rows = services.volunteer_hours(current_user, month)
    if request.args.get("format") == "xlsx":
        table = [["类别", "姓名", "时长（小时）"]] + [[{"rider": "兼职网格员", "member": "报到党员"}[k], n, h]
                                                   for k, n, h in rows]
        return table_download("xlsx", f"volunteer-hours-{month:%Y-%m}.xlsx", [(f"{month:%Y-%m}", table)])
    return render_template("volunteers/hours.html", rows=rows, month=month)

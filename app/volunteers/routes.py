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


def _desk_action(act, done):
    """A desk button: ``act()`` in one unit of work, then ``done()`` or the refusal as a flash,
    and back to the desk."""
    try:
        with unit_of_work():
            act()
        flash(done(), "info")
    except DomainError as exc:
        flash(exc.text(), "error")
    return redirect(url_for("volunteers.desk"))


def _community_form(form_class, template, save, fallback):
    """A desk form with the community to choose: ``save(community, form)`` in one unit of work
    gives (message, where to go); a refusal goes on the form."""
    communities = _communities()
    form = form_class()
    form.community_id.choices = [(c.id, c.name) for c in communities]
    if form.validate_on_submit():
        community = next(c for c in communities if c.id == form.community_id.data)
        try:
            with unit_of_work():
                message, url = save(community, form)
            flash(message, "info")
            return redirect(url)
        except DomainError as exc:
            put_on_form(form, exc, fallback=fallback)
    return render_template(template, form=form)


def _publish_need(community, form):
    fields = ("kind", "title", "detail", "starts_on", "ends_on", "slots", "hours")
    need = services.publish_need(current_user, community, {f: form[f].data for f in fields})
    return _("已发布 %(t)s", t=need.title), url_for("volunteers.desk")


def _register_unit(community, form):
    fields = ("name", "uscc", "contact_name", "phone")
    unit = services.register_unit(current_user, community, {f: form[f].data for f in fields})
    return _("已登记 %(n)s", n=unit.name), url_for("volunteers.unit_detail", unit_id=unit.id)


def _decision(model, object_id, yes_field, decide, done):
    """A desk yes-or-no with a note on one object (approve a member, confirm a service)."""
    obj = get_or_404(current_user, model, object_id, CHANGE)
    yes = request.form.get(yes_field) == "1"
    return _desk_action(lambda: decide(current_user, obj, yes, request.form.get("note", "")),
                        lambda: done(obj))


@bp.post("/volunteers/members/<int:member_id>/decide")
@login_required
@requires("volunteer.keep")
def decide(member_id):
    return _decision(PartyMember, member_id, "approve", services.decide_member,
                     lambda member: _("已处理 %(name)s 的报到申请", name=member.name))


@bp.route("/volunteers/needs/new", methods=["GET", "POST"])
@login_required
@requires("volunteer.keep")
def need_new():
    return _community_form(NeedForm, "volunteers/need_form.html", _publish_need, "title")


@bp.post("/volunteers/needs/<int:need_id>/close")
@login_required
@requires("volunteer.keep")
def need_close(need_id):
    need = get_or_404(current_user, ServiceNeed, need_id, CHANGE)
    return _desk_action(lambda: services.close_need(current_user, need),
                        lambda: _("已结束 %(t)s", t=need.title))


@bp.post("/volunteers/claims/<claim_id>/confirm")
@login_required
@requires("volunteer.keep")
def claim_confirm(claim_id):
    return _decision(ServiceClaim, claim_id, "accept", services.confirm,
                     lambda row: _("已确认") if row.state == "confirmed" else _("已退回"))


@bp.route("/volunteers/units/new", methods=["GET", "POST"])
@login_required
@requires("volunteer.units")
def unit_new():
    return _community_form(UnitForm, "volunteers/unit_form.html", _register_unit, "name")


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


def _join_url(community_id):
    """The community's join link (made on first asking) as a full URL, with the community; 404
    for what is not a community this user keeps."""
    community = get_or_404(current_user, OrgUnit, community_id)
    try:
        with unit_of_work():
            link = services.join_link(current_user, community)
    except DomainError:
        abort(404)
    return community, url_for("volunteers.join", token=link.token, _external=True)


@bp.get("/volunteers/join-link/<int:community_id>")
@login_required
@requires("volunteer.keep")
def join_link(community_id):
    community, url = _join_url(community_id)
    return render_template("volunteers/join_link.html", community=community, url=url,
                           qr_url=url_for("volunteers.join_qr", community_id=community.id))


@bp.get("/volunteers/join-link/<int:community_id>/qr.svg")
@login_required
@requires("volunteer.keep")
def join_qr(community_id):
    import segno

    community, url = _join_url(community_id)
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2, title=f"{community.name} 党员报到")
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

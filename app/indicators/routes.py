"""The indicators page: every indicator per street, community, grid, department or worker for a
period, coloured against the command centre's thresholds; the trend over six months; the heat
map of open events by category; the thresholds form; an XLSX of the table."""
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock, geo
from ..events.models import EventCategory
from ..exports import table_download
from ..org.models import Grid
from ..scope.permissions import may, requires
from ..scope.services import scope_for
from ..transaction import unit_of_work
from . import services

bp = Blueprint("indicators", __name__, url_prefix="/indicators")


@bp.before_request
@login_required
def _signed_in():
    pass


def _period():
    """The period asked for (this month so far by default; a bad or reversed one falls back)."""
    today = clock.local_today()
    fallback = (today.replace(day=1), today)
    try:
        start = date.fromisoformat(request.args["from"]) if request.args.get("from") else fallback[0]
        end = date.fromisoformat(request.args["to"]) if request.args.get("to") else today
    except ValueError:
        return fallback
    return (start, end) if start <= end and start.year >= 2000 and end.year < 2100 else fallback


def _heat_map(scope, prefix):
    grids = Grid.query.filter(scope.grid_clause()).limit(2000).all()
    if not grids:
        return None
    counts = services.heat(scope.grid_clause(), prefix)
    top = max(counts.values(), default=0)
    shapes = [(g, [[geo.mercator(lon, lat) for lon, lat in ring] for ring in geo.rings_of(g.geometry)])
              for g in grids]
    view = geo.View.fit([p for _g, rings in shapes for r in rings for p in r])
    def level(n):  # 0 (none) to 4 (the most), for the cell's shade
        return (4 * n + top - 1) // top if top else 0

    cells = [{"grid": g, "n": counts.get(g.id, 0), "level": level(counts.get(g.id, 0)),
              "rings": [view.points(r) for r in rings]} for g, rings in shapes]
    return {"width": view.width, "height": view.height, "cells": cells, "top": top}


@bp.get("")
@requires("indicators.view")
def page():
    scope = scope_for(current_user)
    start, end = _period()
    by = request.args.get("by") if request.args.get("by") in services.GROUPS else "street"
    rows, total = services.compute(scope.grid_clause(), start, end, by)
    limits = services.thresholds()
    if request.args.get("format") == "xlsx":
        header = [str(services.GROUPS[by])] + [str(v) for v in services.INDICATORS.values()] + [_("上报数")]
        table = [header] + [[r["name"]] + [r[k] for k in services.INDICATORS] + [r["events"]]
                            for r in rows + [{"name": _("合计"), **total}]]
        return table_download("xlsx", f"indicators-{by}-{start}-{end}.xlsx", [("indicators", table)])
    chosen = request.args.get("trend", "on_time_close")
    chosen = chosen if chosen in services.INDICATORS else "on_time_close"
    trend = services.trend(scope.grid_clause())
    majors = (EventCategory.query.filter(EventCategory.parent_id.is_(None))
              .order_by(EventCategory.sort_order).all())
    prefix = request.args.get("heat") if request.args.get("heat") in {m.code for m in majors} else None
    return render_template("indicators/page.html", rows=rows, total=total, by=by, start=start, end=end,
                           INDICATORS=services.INDICATORS, GROUPS=services.GROUPS, limits=limits,
                           rating=services.rating, trend=trend, chosen=chosen, majors=majors,
                           prefix=prefix, heat=_heat_map(scope, prefix),
                           can_set=may(current_user, "indicators.thresholds"))


@bp.post("/thresholds")
@requires("indicators.thresholds")
def thresholds():
    errors = []
    with unit_of_work():
        for key in services.INDICATORS:
            good = request.form.get(f"{key}-good", type=float)
            poor = request.form.get(f"{key}-poor", type=float)
            if good is None and poor is None:
                continue
            lower_better = key in services.LOWER_IS_BETTER
            in_order = (good is not None and poor is not None
                        and (good <= poor if lower_better else good >= poor))
            if not in_order or not (0 <= good <= 100 and 0 <= poor <= 100):
                errors.append(str(services.INDICATORS[key]))
                continue
            services.set_threshold(key, good, poor)
    if errors:
        flash(_("以下指标的阈值须为 0–100，且达标线不低于（返工率、漏报率为不高于）不达标线：%(k)s",
                k="、".join(errors)), "error")
    else:
        flash(_("已保存阈值"), "info")
    return redirect(url_for("indicators.page"))

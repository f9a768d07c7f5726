"""The installable app: manifest, service worker with its precache list, offline page.

The service worker is served from the site root (so its scope is the whole app) with the
list of static files and their content hashes written in front of it; any change to a static
file changes the worker's bytes, which is what makes browsers install the new version.
"""
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, url_for

from ..assets import static_rev

bp = Blueprint("pwa", __name__)

PRECACHE_GLOBS = ("css/*.css", "js/*.js", "js/vendor/*.js", "icons/*.svg", "icons/icon-192.png")


def _static_files():
    root = Path(current_app.static_folder)
    files = sorted({p.relative_to(root).as_posix() for g in PRECACHE_GLOBS for p in root.glob(g)})
    return [f for f in files if f != "js/sw.js"]


@lru_cache(maxsize=8)
def _worker_source(signature):
    return (Path(current_app.static_folder) / "js" / "sw.js").read_text(encoding="utf-8")


def service_worker_script():
    files = _static_files()
    urls = [static_rev(f) for f in files] + [url_for("pwa.offline")]
    worker = Path(current_app.static_folder) / "js" / "sw.js"
    source = _worker_source(worker.stat().st_mtime)
    build = current_app.config.get("GRIDWALK_BUILD", "")
    version = hashlib.sha256(("\n".join(urls) + source + build).encode()).hexdigest()[:12]
    config = {"version": version, "precache": urls, "offline": url_for("pwa.offline")}
    return f"self.GRIDWALK = {json.dumps(config)};\n{source}"


@bp.get("/sw.js")
def service_worker():
    response = Response(service_worker_script(), mimetype="application/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    icons = []
    for size in (192, 512):
        icons.append({"src": static_rev(f"icons/icon-{size}.png"), "sizes": f"{size}x{size}",
                      "type": "image/png", "purpose": "any"})
        icons.append({"src": static_rev(f"icons/maskable-{size}.png"), "sizes": f"{size}x{size}",
                      "type": "image/png", "purpose": "maskable"})
    data = {
        "name": "网格行 Gridwalk", "short_name": "网格行", "lang": "zh-Hans",
        "description": "网格员巡查、采集、随手拍与事件闭环",
        "start_url": "/?source=pwa", "scope": "/", "display": "standalone",
        "orientation": "portrait", "theme_color": "#0b5cad", "background_color": "#f3f5f7",
        "icons": icons,
    }
    response = Response(json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/healthz")
def healthz():
    """Liveness for load balancers: no database, no session."""
    return {"status": "ok"}


@bp.get("/offline")
def offline():
    return render_template("pwa/offline.html")

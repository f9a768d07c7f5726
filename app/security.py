"""Security headers on every response; a CSP that allows no inline script or style."""
from urllib.parse import urlsplit

from flask import request
from flask_login import current_user

from .pwa.offline import offline_pages

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def csp_for(app):
    """The policy, with the configured tile server's origin allowed for images."""
    tiles = app.config.get("MAP_TILE_URL") or ""
    parts = urlsplit(tiles)
    if parts.scheme in ("http", "https") and parts.netloc:
        return CSP.replace("img-src 'self' data: blob:",
                           f"img-src 'self' data: blob: {parts.scheme}://{parts.netloc}")
    return CSP


def install_security(app):
    policy = csp_for(app)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "geolocation=(self), camera=(self), microphone=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if not request.path.startswith("/static/") and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = cache_policy(response)
        return response


def cache_policy(response):
    """Nothing personal is kept by any cache, except the pages a reporter's phone needs offline
    (its own shell, reports and tasks; no resident's data), which the user's own browser may
    keep and must revalidate. The service worker keeps nothing marked no-store."""
    if (request.method == "GET" and response.status_code == 200 and response.mimetype == "text/html"
            and current_user.is_authenticated and request.path in offline_pages(current_user)):
        return "private, no-cache"
    return "no-store"

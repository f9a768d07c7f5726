"""The app's own files on a bad network: gzipped when the phone accepts it, and kept for ever
when the URL names the file's content hash (``static_rev``). Pages and API answers are left
alone: a page carries the CSRF token beside text the user typed, and compressing the two
together would let the token be read from the answer's length (BREACH)."""
import gzip
from functools import lru_cache
from pathlib import Path

from flask import current_app, request

from .assets import file_revision

COMPRESSED_ENDPOINTS = {"static", "pwa.service_worker", "pwa.manifest"}
COMPRESSIBLE = {"application/javascript", "text/javascript", "text/css", "image/svg+xml",
                "application/manifest+json", "text/plain"}
FOREVER = "public, max-age=31536000, immutable"


@lru_cache(maxsize=256)
def _gzipped(path: str, mtime: float, size: int) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)


def _static_path():
    name = (request.view_args or {}).get("filename") or ""
    root = Path(current_app.static_folder).resolve()
    path = (root / name).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def _cache_header(response, path):
    rev = request.args.get("v")
    if rev and path is not None and rev == file_revision(str(path), path.stat().st_mtime):
        response.headers["Cache-Control"] = FOREVER
    else:
        response.headers["Cache-Control"] = "no-cache"  # module imports name no hash: ask again


def _compress(response, path):
    if response.status_code != 200 or response.mimetype not in COMPRESSIBLE:
        return
    response.vary.add("Accept-Encoding")
    if "gzip" not in request.accept_encodings or "Content-Encoding" in response.headers:
        return
    if path is not None:
        stat = path.stat()
        body = _gzipped(str(path), stat.st_mtime, stat.st_size)
    else:
        body = gzip.compress(response.get_data(), compresslevel=6, mtime=0)
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    etag, _ = response.get_etag()
    if etag:
        response.set_etag(etag, weak=True)  # as nginx does: the same file, another byte stream


def install_static_delivery(app):
    @app.after_request
    def _deliver(response):
        if request.endpoint not in COMPRESSED_ENDPOINTS:
            return response
        path = _static_path() if request.endpoint == "static" else None
        if request.endpoint == "static":
            _cache_header(response, path)
        _compress(response, path)
        return response

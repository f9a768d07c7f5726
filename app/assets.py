"""The app's own static files: each URL names the file's content hash, so caches can keep it
for ever (static_delivery marks such URLs immutable) and a new release is fetched at once."""
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import current_app, url_for


@lru_cache(maxsize=256)
def file_revision(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


def static_rev(filename: str) -> str:
    """URL of a static file with its content hash, so caches can keep it forever."""
    path = Path(current_app.static_folder) / filename
    rev = file_revision(str(path), path.stat().st_mtime)
    return url_for("static", filename=filename, v=rev)

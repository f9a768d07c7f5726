"""Configuration read from the environment.

The embedded default is SQLite under ``instance/``; ``DATABASE_URL`` switches to PostgreSQL.
In development a SECRET_KEY is generated once into ``instance/secret_key``; in production it
must be given.
"""
import os
import secrets
from datetime import timedelta
from pathlib import Path

from .clock import DEFAULT_ZONE, check_zone


def _bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _json(name):
    """A JSON object from the environment (None when unset); a typo stops the start, loudly."""
    import json

    value = os.environ.get(name)
    if not value:
        return None
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise RuntimeError(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise RuntimeError(f"{name} must be a JSON object")
    return parsed


def _int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _instance_secret(env_var: str, instance_path: Path, production: bool) -> str:
    """A secret from the environment; in development generated once into instance/<name>."""
    value = os.environ.get(env_var)
    if value:
        return value
    if production:
        raise RuntimeError(f"{env_var} must be set when GRIDWALK_ENV=production")
    key_file = instance_path / env_var.lower()
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def normalise_database_url(url: str) -> str:
    """Accept the common postgres:// forms and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config(instance_path: str) -> dict:
    instance = Path(instance_path)
    production = os.environ.get("GRIDWALK_ENV", "development") == "production"
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'gridwalk.db'}"
    lifetime = _int("SESSION_LIFETIME_MINUTES", 12 * 60)
    return {
        "GRIDWALK_ENV": "production" if production else "development",
        "SECRET_KEY": _instance_secret("SECRET_KEY", instance, production),
        # Encrypts residents' ID numbers and phones at rest; keep it out of database backups.
        "DATA_KEY": _instance_secret("DATA_KEY", instance, production),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        # hide_parameters: a failed statement's values (names, notes) never reach a log.
        # Connections are pinged only after being idle (app/__init__.py), not on every checkout.
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
        # Idle lifetime of a signed-in session; the phone keeps its outbox when it runs out.
        "SESSION_LIFETIME": timedelta(minutes=lifetime),
        # The cookie outlives the session so that an expired session can be told apart from none.
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=lifetime) + timedelta(days=30),
        # Re-send the cookie only when the session changes: a phone syncing in the background
        # must not overwrite, with an older copy, the cookie a page navigation just set.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_NAME": "gridwalk_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "WTF_CSRF_TIME_LIMIT": _int("CSRF_TIME_LIMIT_SECONDS", 12 * 3600),
        "TRUST_PROXY_HOPS": _int("TRUST_PROXY_HOPS", 0),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "BABEL_DEFAULT_LOCALE": "zh_Hans",
        "BABEL_DEFAULT_TIMEZONE": check_zone(os.environ.get("GRIDWALK_TIMEZONE") or DEFAULT_ZONE),
        "LANGUAGES": ["zh_Hans", "en"],
        # Sign-in throttling: per account and per client address, in a rolling window.
        "LOGIN_MAX_FAILURES": _int("LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCK_MINUTES": _int("LOGIN_LOCK_MINUTES", 15),
        # Per address and name, and (higher: phones share carrier addresses) per address alone.
        "LOGIN_IP_USER_MAX_FAILURES": _int("LOGIN_IP_USER_MAX_FAILURES", 10),
        "LOGIN_IP_MAX_FAILURES": _int("LOGIN_IP_MAX_FAILURES", 100),
        "LOGIN_IP_WINDOW_MINUTES": _int("LOGIN_IP_WINDOW_MINUTES", 10),
        # Lookups by a whole ID number (searches, duplicate checks) per user per hour: each says
        # whether a number is registered, so unlimited they would rebuild a masked one.
        "ID_LOOKUPS_PER_HOUR": _int("ID_LOOKUPS_PER_HOUR", 60),
        # The jurisdiction_id Open311 callers may name (none named is this one too).
        "OPEN311_JURISDICTION": os.environ.get("OPEN311_JURISDICTION", "lixia.jinan.gov.cn"),
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt"),
        "MAX_CONTENT_LENGTH": _int("MAX_UPLOAD_MB", 40) * 1024 * 1024,
        "MEDIA_ROOT": os.environ.get("MEDIA_ROOT", str(instance / "media")),
        # A deployment tag (e.g. the git commit); a new tag makes phones offer the new version.
        "GRIDWALK_BUILD": os.environ.get("GRIDWALK_BUILD", ""),
        # Patrol fixes worse than this (metres) are dropped on the phone; faster jumps are glitches.
        "PATROL_MAX_ACCURACY_M": _int("PATROL_MAX_ACCURACY_M", 50),
        "PATROL_MAX_SPEED_M_S": _int("PATROL_MAX_SPEED_M_S", 30),
        # Optional map tiles, e.g. "https://tiles.example.com/{z}/{x}/{y}.png"; none by default,
        # so maps work offline and need no key. MAP_TILE_CRS=gcj02 for most Chinese services.
        "MAP_TILE_URL": os.environ.get("MAP_TILE_URL", ""),
        "MAP_TILE_CRS": os.environ.get("MAP_TILE_CRS", "wgs84"),
        # Weights and full-mark amounts of the monthly score (docs/assessment.md).
        "ASSESSMENT_FORMULA": _json("ASSESSMENT_FORMULA"),
    }

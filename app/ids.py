"""Record ids: every record and mutation is named by a UUID made on the phone. One check for
every feature (the sync schema, photos, tasks)."""
import re

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_uuid(value) -> bool:
    """A lower-case UUID and nothing else: no trailing newline, no braces."""
    return isinstance(value, str) and UUID_RE.fullmatch(value) is not None

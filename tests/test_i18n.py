"""Every Chinese UI string has an English translation."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def test_english_catalogue_covers_every_string(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    with (ROOT / "app/translations/en/LC_MESSAGES/messages.po").open("rb") as fh:
        english = {m.id: m.string for m in read_po(fh) if m.id}
    missing = sorted(m for m in wanted if not english.get(m))
    assert not missing, "no English for: " + " | ".join(map(str, missing))

"""Keep the English catalogue in step with the Chinese source strings.

    python scripts/i18n.py            # extract, merge into app/translations/en, list gaps
    python scripts/i18n.py --check    # exit 1 if any string lacks an English translation

Chinese is the source language (msgids are Chinese); English lives in the .po file.
"""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "app/translations/en/LC_MESSAGES/messages.po"
POT = ROOT / "instance/messages.pot"


def run(*args):
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    POT.parent.mkdir(exist_ok=True)
    run("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--omit-header", "-o", str(POT), ".")
    if PO.exists():
        run("update", "-i", str(POT), "-o", str(PO), "-l", "en", "--no-fuzzy-matching")
    else:
        PO.parent.mkdir(parents=True, exist_ok=True)
        run("init", "-i", str(POT), "-o", str(PO), "-l", "en")
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and not m.string]
    for msgid in missing:
        print("untranslated:", msgid)
    if "--check" in sys.argv and missing:
        sys.exit(1)


if __name__ == "__main__":
    main()

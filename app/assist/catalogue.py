"""The default catalogue of convenience items: 12 categories, 43 items (the seed's 便民事项),
with the materials, the handling office and a time limit in days. Kept as data in
``default_items.json``; the admin edits the catalogue afterwards."""
import json
from pathlib import Path

from ..extensions import db
from .models import ConvenienceItem

DEFAULT_PATH = Path(__file__).with_name("default_items.json")


def default_categories():
    return json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def load_default_items():
    order = 0
    for category in default_categories():
        for item in category["items"]:
            order += 1
            db.session.add(ConvenienceItem(
                category=category["category"], name=item["name"], materials="\n".join(item["materials"]),
                office=item["office"], time_limit_days=item["days"], duty_code=category.get("duty_code"),
                sort_order=order))
    db.session.flush()

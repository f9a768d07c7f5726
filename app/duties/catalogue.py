"""A realistic default checklist drafted from the seed: 13 categories, 42 items, kept as data in
``default_checklist.json`` (category, then per item: title, frequency, target, evidence and the
optional filter that narrows the evidence)."""
import json
from datetime import date
from pathlib import Path

from ..extensions import db
from .models import DutyChecklist, DutyItem

DEFAULT_PATH = Path(__file__).with_name("default_checklist.json")


def default_categories():
    return json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def load_default_checklist(valid_from=date(2026, 1, 1)):
    checklist = DutyChecklist(valid_from=valid_from, note="基础网格员工作职责指导清单（13大类42项）")
    for c, category in enumerate(default_categories(), start=1):
        for i, item in enumerate(category["items"], start=1):
            checklist.items.append(DutyItem(
                code=f"{c:02d}.{i}", category=category["category"], title=item["title"],
                frequency=item["frequency"], target=item["target"], evidence=item["evidence"],
                evidence_filter=item.get("filter", {})))
    db.session.add(checklist)
    return checklist

"""The worker and rider pages' own JS + CSS stay within 60 KB gzipped (the product budget)."""
import gzip
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"
BUDGET = 60 * 1024


def module_closure(entry):
    """A module and every module it imports, as the browser would load them."""
    seen, todo = set(), [entry]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for spec in re.findall(r"""from\s+['"](\.[^'"]+)['"]""", path.read_text()):
            todo.append((path.parent / spec).resolve())
    return seen


def test_worker_pages_fit_the_budget(client, demo, login):
    worker, rider, member = login("worker"), login("rider"), login("member")
    total = 0
    worker_pages = ("/", "/report", "/reports", "/registry/app", "/patrol", "/tasks", "/duties", "/assist")
    pages = [(worker, p) for p in worker_pages]
    for who, page in pages + [(rider, "/"), (rider, "/tasks"), (member, "/"), (member, "/serve")]:
        html = who.get(page).get_data(as_text=True)
        files = set()
        for href in re.findall(r'(?:href|src)="/static/([^"?]+\.(?:css|js))', html):
            path = (STATIC / href).resolve()
            files |= module_closure(path) if path.suffix == ".js" else {path}
        size = sum(len(gzip.compress(f.read_bytes(), 9)) for f in files)
        total = max(total, size)
        assert size <= BUDGET, f"{page}: {size} bytes gzipped"
    assert total > 5000  # the pages really load their scripts and styles

"""What tests share: one phone client that talks to the sync API as the app's engine does, real
JPEG bytes, a walk for patrols, and small builders for data a test needs without the demo.
Test modules import from here, never from one another."""
import io
import json
import uuid

import pytest
from PIL import Image

from app.patrols.geo import haversine_m

# The moment test phones stamp on what they record: a fixed day, so figures that depend on the
# day a record was made do not change with the calendar.
RECORDED_AT = "2026-11-27T08:00:00Z"
T0 = 1795741200  # 2026-11-27T01:00:00Z, 09:00 in Jinan
# Inside 芙蓉街社区第1网格 of the demo district: north, east, south.
ROUTE = [((117.0090, 36.6610), (117.0090, 36.6640)), ((117.0090, 36.6640), (117.0105, 36.6640)),
         ((117.0105, 36.6640), (117.0105, 36.6611))]


def jpeg_bytes(size=(800, 600), color=(10, 120, 200), exif_orientation=None):
    """A real JPEG made by Pillow, with an EXIF orientation and maker when asked."""
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    if exif_orientation:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation  # Orientation
        exif[0x010F] = "PhoneMaker"  # Make: must not survive
        image.save(out, "JPEG", exif=exif)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def walk(legs, step_m=14.0, every_s=10, t0=T0, accuracy=8):
    """Fixes along straight legs between (lon, lat) corners, one every ``every_s`` seconds."""
    fixes, t = [], t0
    for (lon1, lat1), (lon2, lat2) in legs:
        n = max(1, int(haversine_m(lon1, lat1, lon2, lat2) / step_m))
        for i in range(n):
            f = i / n
            fixes.append([t, lon1 + (lon2 - lon1) * f, lat1 + (lat2 - lat1) * f, accuracy])
            t += every_s
    fixes.append([t, *legs[-1][1], accuracy])  # the last corner
    return fixes


class Phone:
    """A signed-in API client that behaves like the app's sync engine."""

    def __init__(self, client):
        self.client = client
        self.user_id = client.get("/api/v1/me").get_json()["id"]
        self.token = client.get("/api/v1/csrf").get_json()["csrf_token"]

    def mutation(self, kind, record_id, data, base_version=None, form_version=None,
                 created_at=RECORDED_AT):
        return {"id": str(uuid.uuid4()), "kind": kind, "record_id": record_id,
                "author_id": self.user_id, "created_at": created_at,
                "base_version": base_version, "form_version": form_version, "data": data}

    def send(self, *mutations, raw=None):
        """POST a push of these mutations (or a raw body); the HTTP response."""
        body = raw if raw is not None else json.dumps({"mutations": list(mutations)})
        return self.client.post("/api/v1/sync/push", headers={"X-CSRFToken": self.token},
                                data=body, content_type="application/json")

    def push(self, kind, record_id, data, base_version=None, form_version=None):
        """Push one mutation; its result."""
        mutation = self.mutation(kind, record_id, data, base_version, form_version)
        return self.send(mutation).get_json()["results"][0]

    def put_photo(self, data=None, content_type="image/jpeg", photo_id=None):
        photo_id = photo_id or str(uuid.uuid4())
        body = data if data is not None else jpeg_bytes()
        response = self.client.put(f"/api/v1/media/{photo_id}", data=body, content_type=content_type,
                                   headers={"X-CSRFToken": self.token})
        return photo_id, response

    def report(self, photos, **data):
        """A quick report in the demo's first grid, as a mutation (not sent)."""
        from app.events.models import EventCategory
        from app.org.models import Grid

        point = Grid.query.filter_by(code="LX-QCL-FRJ-01").one().shape.representative_point()
        category = EventCategory.query.filter_by(code="SR01").one()
        payload = {"category_id": category.id, "description": "路口垃圾堆积", "urgency": "normal",
                   "lon": point.x, "lat": point.y, "accuracy": 8, "location_manual": False,
                   "photos": photos}
        payload.update(data)
        return self.mutation("event.report", str(uuid.uuid4()), payload, form_version=1)

    def create(self, kind, fields, form_version=None):
        record_id = str(uuid.uuid4())
        return record_id, self.push("registry.create", record_id, {"kind": kind, "fields": fields},
                                    form_version=form_version)

    def edit(self, record_id, base_version, fields, base):
        return self.push("registry.edit", record_id, {"fields": fields, "base": base},
                         base_version=base_version)


@pytest.fixture
def api_phone(demo, login, app, tmp_path):
    """The demo worker's phone, with photos stored under the test's own folder. Import it as
    ``phone`` where a module means this phone rather than conftest's browser one."""
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    return Phone(login("worker"))


# --- builders: the least data a test needs, without the demo ---------------------------------

def small_district(username="solo-worker", password="gridwalk-demo"):
    """A district with one street, one community and one square grid of about 300 m at 36.66°N,
    and a grid worker there. Returns (grid, worker)."""
    from app.auth.models import User
    from app.auth.services import assign_role, hash_password
    from app.extensions import db
    from app.org.models import OrgUnit
    from app.org.services import parse_grid_geojson, save_grid

    district = OrgUnit(code="T", name="测试区", level="district")
    street = OrgUnit(code="T-S", name="测试街道", level="street", parent=district)
    community = OrgUnit(code="T-S-C", name="测试社区", level="community", parent=street)
    db.session.add_all([district, street, community])
    db.session.flush()
    lon, lat, d = 117.0, 36.66, 0.0027
    square = {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d * 1.25, lat],
                                                  [lon + d * 1.25, lat + d], [lon, lat + d], [lon, lat]]]}
    from app.org.models import Grid

    grid = Grid()
    save_grid(grid, code="T-S-C-01", name="测试网格", kind="basic", community=community,
              geom=parse_grid_geojson(json.dumps(square)))
    worker = User(username=username, display_name="测试网格员", password_hash=hash_password(password))
    db.session.add_all([grid, worker])
    db.session.flush()
    assign_role(worker, "grid_worker", grid=grid)
    db.session.commit()
    return grid, worker


def quick_reports():
    """Quick reports (随手拍) in the database: what phones push as ``event.report``. The demo's own
    cases are left out (its enterprises' needs and screenings, and its month of history in
    大明湖街道), so a test counts only what its phone sent in 泉城路街道."""
    from app.events.models import Event
    from app.extensions import db
    from app.org.models import Grid, OrgUnit

    history = db.select(Grid.id).join(OrgUnit, OrgUnit.id == Grid.street_id).where(OrgUnit.code == "LX-DMH")
    return Event.query.filter(Event.source.in_(("grid_worker", "part_time")), Event.grid_id.notin_(history))

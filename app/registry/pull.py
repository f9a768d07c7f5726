"""What phones pull of the registry: their grids' records (masked), visits they made."""
from sqlalchemy import or_

from ..scope.permissions import may
from ..scope.services import scope_for
from ..sync.models import ChangeLog
from ..sync.services import puller
from .models import PersonTag, RegistryRecord, Submission
from .services import may_see_tags, record_rule


def record_json(record, user, tags=None):
    data = {
        "id": record.id, "kind": record.kind, "version": record.version,
        "grid": {"id": record.grid_id, "name": record.grid.name}, "parent_id": record.parent_id,
        "name": record.name, "pinyin": record.name_pinyin, "initials": record.name_initials,
        "address": record.address, "lon": record.lon, "lat": record.lat,
        "id_masked": record.id_masked, "phone_masked": record.phone_masked,
        "phone_tail": record.phone_tail, "fields": record.data or {},
        "review": {"state": record.review_state, "comment": record.review_comment},
        "updated_at": record.updated_at.isoformat() + "Z",
    }
    if tags is not None:
        data["tags"] = tags
    return data


@puller("record")
class RecordPuller:
    @staticmethod
    def visible(scope, user):
        # Only the field staff keep an offline copy. Riders and departments never get residents'
        # data; office roles (secretary, street, command, admin) work online, where each page
        # is scoped and paged: a bulk copy of every masked record on a desk serves no task.
        if not may(user, "registry.offline"):
            return ChangeLog.seq < 0
        return scope.grid_clause(ChangeLog.grid_id)

    @staticmethod
    def load(ids, user):
        if not ids:
            return {}
        records = RegistryRecord.query.filter(RegistryRecord.id.in_(ids),
                                              RegistryRecord.deleted_at.is_(None)).all()
        tags = {}
        for t in PersonTag.query.filter(PersonTag.record_id.in_([r.id for r in records])):
            tags.setdefault(t.record_id, []).append(t.tag)
        out = {}
        for r in records:
            if record_rule(user, r, "view"):
                out[r.id] = record_json(r, user, sorted(tags.get(r.id, []))
                                        if may_see_tags(user, r.grid_id) else None)
        return out


@puller("visit")
class VisitPuller:
    @staticmethod
    def visible(scope, user):
        return ChangeLog.owner_id == user.id

    @staticmethod
    def load(ids, user):
        from .models import Visit

        visits = Visit.query.filter(Visit.id.in_(ids), Visit.author_id == user.id).all() if ids else []
        return {v.id: {"id": v.id, "target_id": v.record_id, "note": v.note,
                       "visited_at": v.visited_at.isoformat() + "Z"} for v in visits}


def pending_for(user):
    """Submissions waiting for this reviewer, newest first."""
    scope = scope_for(user)
    return (Submission.query.filter(Submission.state == "pending",
                                    scope.grid_clause(Submission.grid_id))
            .order_by(Submission.has_conflicts.desc(), Submission.created_at.desc()))


__all__ = ["record_json", "pending_for", "or_"]

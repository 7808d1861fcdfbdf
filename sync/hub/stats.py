"""The hub's counts (``ksk hub stats``): items per kind and per station, people and merges, devices, stations,
handovers waiting, the audit alerts and the FHIR queue."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.hub import fhirqueue, handover, stations
from sync.hub.models import AuditAlert, Device, HubPerson, Item, PersonAlias


def counts(s: Session) -> dict:
    per_kind = dict(s.execute(select(Item.kind, func.count()).group_by(Item.kind)).all())
    per_station: dict[str, dict[str, int]] = {}
    for station, kind, n in s.execute(
        select(Item.station_code, Item.kind, func.count()).group_by(Item.station_code, Item.kind)
    ).all():
        per_station.setdefault(station, {})[kind] = n
    persons = s.scalar(select(func.count()).select_from(HubPerson)) or 0
    merges = s.scalar(select(func.count()).select_from(PersonAlias)) or 0
    devices = s.scalar(select(func.count()).select_from(Device)) or 0
    n_stations = s.scalar(select(func.count()).select_from(stations.HubStation)) or 0
    waiting = (
        s.scalar(
            select(func.count())
            .select_from(handover.HubHandover)
            .where(handover.HubHandover.state == handover.PENDING)
        )
        or 0
    )
    alerts = s.execute(select(AuditAlert).order_by(AuditAlert.id)).scalars().all()
    fhir = fhirqueue.counts(s)
    return {
        "items": sum(per_kind.values()),
        "items_per_kind": per_kind,
        "items_per_station": per_station,
        "persons": persons,
        "merges": merges,
        "devices": devices,
        "stations": n_stations,
        "handovers_pending": waiting,
        "audit_alerts": [
            {
                "station_code": a.station_code,
                "device_id": a.device_id,
                "kind": a.kind,
                "seq": a.seq,
                "detail": a.detail,
                "at": a.created_at.isoformat(),
            }
            for a in alerts
        ],
        "fhir": fhir,
    }

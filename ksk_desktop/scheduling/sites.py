"""Exam sites: the station itself and mobile sites (a school, a factory, a village hall, an island…).

A site is read as a ``SiteInfo`` (a frozen dataclass, ``ksk_desktop.shapes``); ``to_json(site)`` is its JSON
(``ksk site … --json``, the audit's old and new values).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ksk_desktop.db.models import Site
from ksk_desktop.errors import InvalidInput, NotFound
from ksk_desktop.ids import new_id
from ksk_desktop.scheduling import sync_items
from ksk_desktop.security.roles import Perm
from ksk_desktop.shapes import Shape
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import collation_key, nfc

KINDS = ("station", "school", "factory", "village_hall", "island", "other")
KIND_LABELS = {
    "station": "Trạm y tế",
    "school": "Trường học",
    "factory": "Nhà máy, doanh nghiệp",
    "village_hall": "Nhà văn hóa thôn",
    "island": "Đảo",
    "other": "Khác",
}
DEFAULT_CAPACITY_PER_HOUR = 40  # people an hour, per the city plan's guidance; configurable per site and day


@dataclass(frozen=True)
class SiteInfo(Shape):
    id: str
    name: str
    address: str | None
    kind: str  # one of KINDS
    mobile: bool
    capacity_per_hour: int | None  # None: not set, each exam day gives its capacity per slot
    active: bool
    version: int


def site_info(site: Site) -> SiteInfo:
    return SiteInfo(
        id=site.id,
        name=site.name,
        address=site.address,
        kind=site.kind,
        mobile=site.mobile,
        capacity_per_hour=site.capacity_per_hour,
        active=site.active,
        version=site.version,
    )


def to_json(site: Site) -> dict:
    return site_info(site).to_json()


def _kind(kind: str | None, mobile: bool) -> str:
    kind = (kind or ("other" if mobile else "station")).strip().lower().replace("-", "_")
    if kind not in KINDS:
        raise InvalidInput(f"Loại điểm khám {kind!r} không hợp lệ: chọn trong {', '.join(KINDS)}.")
    return kind


def _capacity(value: int | None) -> int | None:
    if value is None or value == 0:
        return None  # not set: every exam day at this site must then give its own capacity per slot
    if not isinstance(value, int) or value < 0 or value > 1000:
        raise InvalidInput(f"Công suất {value!r} người/giờ không hợp lệ (1–1000; 0 = chưa đặt).")
    return value


def add_site(
    ctx: StationSession,
    *,
    name: str,
    kind: str | None = None,
    mobile: bool = False,
    capacity_per_hour: int | None = DEFAULT_CAPACITY_PER_HOUR,
    address: str | None = None,
) -> SiteInfo:
    """Add a site (audited). ``capacity_per_hour`` None or 0 leaves it unset."""
    ctx.require(Perm.SCHEDULE_MANAGE)
    name = nfc(name or "")
    if len(name) < 2:
        raise InvalidInput("Tên điểm khám không được để trống.")
    kind = _kind(kind, mobile)
    now = ctx.clock.utcnow()
    with ctx.write() as s:
        if s.scalar(select(Site.id).where(Site.name == name, Site.active.is_(True))):
            raise InvalidInput(f"Đã có điểm khám tên {name!r}.")
        site = Site(
            id=new_id(),
            name=name,
            address=nfc(address) if address else None,
            kind=kind,
            mobile=bool(mobile or kind != "station"),
            capacity_per_hour=_capacity(capacity_per_hour),
            active=True,
            created_at=now,
            updated_at=now,
            version=1,
        )
        s.add(site)
        sync_items.queue_site(s, site)
        ctx.audit(s, "site.create", "site", site.id, to_json(site))
        return site_info(site)


_UNSET = object()


def update_site(
    ctx: StationSession,
    site_id: str,
    *,
    capacity_per_hour: object = _UNSET,
    active: bool | None = None,
    name: str | None = None,
    address: str | None = None,
) -> SiteInfo:
    """Change a site's capacity, name, address or active flag (audited). Existing exam days keep their slots."""
    ctx.require(Perm.SCHEDULE_MANAGE)
    with ctx.write() as s:
        site = s.get(Site, site_id)
        if site is None:
            raise NotFound(f"Không tìm thấy điểm khám {site_id}.")
        old = to_json(site)
        if capacity_per_hour is not _UNSET:
            site.capacity_per_hour = _capacity(capacity_per_hour)  # type: ignore[arg-type]
        if active is not None:
            site.active = active
        if name is not None:
            if len(nfc(name)) < 2:
                raise InvalidInput("Tên điểm khám không được để trống.")
            site.name = nfc(name)
        if address is not None:
            site.address = nfc(address) or None
        site.version += 1
        site.updated_at = ctx.clock.utcnow()
        sync_items.queue_site(s, site)
        ctx.audit(s, "site.update", "site", site.id, {"old": old, "new": to_json(site)})
        return site_info(site)


def get_site(ctx: StationSession, site_id: str) -> SiteInfo:
    with ctx.read() as s:
        site = s.get(Site, site_id)
        if site is None:
            raise NotFound(f"Không tìm thấy điểm khám {site_id}.")
        return site_info(site)


def list_sites(ctx: StationSession, include_inactive: bool = False) -> list[SiteInfo]:
    ctx.require(Perm.PERSON_READ)
    with ctx.read() as s:
        q = select(Site)
        if not include_inactive:
            q = q.where(Site.active.is_(True))
        sites = [site_info(x) for x in s.scalars(q)]
    # the station first, then mobile sites in Vietnamese order
    return sorted(sites, key=lambda x: (x.kind != "station", collation_key(x.name)))

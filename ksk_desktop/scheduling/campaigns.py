"""Campaigns: a year's exam campaign for some target groups, and the exam form each group is examined with.

A campaign is read as a ``CampaignInfo`` (a frozen dataclass, ``ksk_desktop.shapes``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from ksk_desktop.db.models import Campaign
from ksk_desktop.errors import InvalidInput, NotFound
from ksk_desktop.exams.forms import canonical_form_id
from ksk_desktop.ids import new_id
from ksk_desktop.people.persons import TARGET_GROUPS
from ksk_desktop.scheduling import sync_items
from ksk_desktop.security.roles import Perm
from ksk_desktop.shapes import Shape
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import nfc

#: Exam form per target group unless the campaign says otherwise (form definitions live in resources/).
DEFAULT_FORMS = {"a": "elderly", "b": "child", "c": "adult", "d": "adult", "đ": "adult"}


def parse_groups(text: str | list[str] | set[str]) -> list[str]:
    """``"a,b,đ"`` (or a list) → ``["a", "b", "đ"]`` in plan order; "dd" is accepted for "đ"."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = []
    for g in items:
        g = nfc(g).lower()
        if not g:
            continue
        g = "đ" if g in ("dd", "đ") else g
        if g not in TARGET_GROUPS:
            raise InvalidInput(f"Nhóm đối tượng {g!r} không hợp lệ: chọn trong a, b, c, d, đ.")
        if g not in out:
            out.append(g)
    return sorted(out, key=TARGET_GROUPS.index)


@dataclass(frozen=True)
class CampaignInfo(Shape):
    id: str
    year: int
    name: str
    groups: list[str]  # target groups, in plan order
    exam_forms: dict[str, str]  # target group → exam form
    created_by: str
    version: int


def campaign_info(c: Campaign) -> CampaignInfo:
    return CampaignInfo(
        id=c.id,
        year=c.year,
        name=c.name,
        groups=json.loads(c.target_groups),
        exam_forms=json.loads(c.exam_forms),
        created_by=c.created_by,
        version=c.version,
    )


def create_campaign(
    ctx: StationSession,
    *,
    name: str,
    year: int,
    groups: str | list[str],
    exam_forms: dict[str, str] | None = None,
) -> CampaignInfo:
    """Create a campaign (audited). Refuses a second campaign of the same name in the same year."""
    ctx.require(Perm.SCHEDULE_MANAGE)
    name = nfc(name or "")
    if len(name) < 2:
        raise InvalidInput("Tên đợt khám không được để trống.")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput(f"Năm {year!r} không hợp lệ.")
    chosen = parse_groups(groups)
    if not chosen:
        raise InvalidInput("Đợt khám cần ít nhất một nhóm đối tượng (a, b, c, d, đ).")
    forms = {g: DEFAULT_FORMS[g] for g in chosen}
    for g, form in (exam_forms or {}).items():
        key = (parse_groups(g) or [""])[0]
        if key not in chosen:
            raise InvalidInput(f"Mẫu phiếu cho nhóm {key} nhưng đợt khám không có nhóm này.")
        if not nfc(form):
            raise InvalidInput(f"Mẫu phiếu khám của nhóm {key} không được để trống.")
        forms[key] = canonical_form_id(nfc(form))  # a form that exists (aliases such as child-pupil accepted)
    now = ctx.clock.utcnow()
    with ctx.write() as s:
        if s.scalar(select(Campaign.id).where(Campaign.year == year, Campaign.name == name)):
            raise InvalidInput(f"Đã có đợt khám {name!r} năm {year}.")
        c = Campaign(
            id=new_id(),
            year=year,
            name=name,
            target_groups=json.dumps(chosen, ensure_ascii=False),
            exam_forms=json.dumps(forms, ensure_ascii=False),
            created_by=ctx.user.username,
            created_at=now,
            updated_at=now,
            version=1,
        )
        s.add(c)
        sync_items.queue_campaign(s, c)
        ctx.audit(
            s,
            "campaign.create",
            "campaign",
            c.id,
            {"year": year, "name": name, "groups": chosen, "exam_forms": forms},
        )
        return campaign_info(c)


def get_campaign(ctx: StationSession, campaign_id: str) -> CampaignInfo:
    with ctx.read() as s:
        c = s.get(Campaign, campaign_id)
        if c is None:
            raise NotFound(f"Không tìm thấy đợt khám {campaign_id}.")
        return campaign_info(c)


def list_campaigns(ctx: StationSession, year: int | None = None) -> list[CampaignInfo]:
    ctx.require(Perm.PERSON_READ)
    with ctx.read() as s:
        q = select(Campaign).order_by(Campaign.year.desc(), Campaign.name)
        if year is not None:
            q = q.where(Campaign.year == year)
        return [campaign_info(c) for c in s.scalars(q)]

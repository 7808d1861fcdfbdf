"""What a plan answers: who was placed where (new, moved or unchanged), who was not and why, per-day figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(slots=True)
class Placement:
    appointment_id: str
    person_id: str
    day_id: str
    slot_id: str
    date: str
    start: str
    end: str
    site_id: str
    action: str  # new | moved | unchanged
    priority: bool
    pupil: bool

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(slots=True)
class Unplaced:
    person_id: str
    name: str
    hamlet: str | None
    group: str | None
    code: str
    reason: str
    cancelled_appointment_id: str | None = None  # a re-planned appointment that no longer fits

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass
class PlanResult:
    campaign_id: str
    date_from: date
    date_to: date
    site_id: str | None
    dry_run: bool
    population: dict
    days: list[dict]
    placed: list[Placement]
    unplaced: list[Unplaced]
    already_scheduled: int
    examined_this_year: int
    rebalance: bool = False
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        actions = {"new": 0, "moved": 0, "unchanged": 0}
        for p in self.placed:
            actions[p.action] += 1
        return {
            "considered": len(self.placed) + len(self.unplaced),
            "placed": len(self.placed),
            **actions,
            "unplaced": len(self.unplaced),
            "cancelled": sum(1 for u in self.unplaced if u.cancelled_appointment_id),
            "already_scheduled": self.already_scheduled,
            "examined_this_year": self.examined_this_year,
        }

    def to_json(self) -> dict:
        reasons: dict[str, dict] = {}
        for u in self.unplaced:
            reasons.setdefault(u.code, {"reason": u.reason, "count": 0})["count"] += 1
        return {
            "campaign_id": self.campaign_id,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "site_id": self.site_id,
            "dry_run": self.dry_run,
            "rebalance": self.rebalance,
            "population": self.population,
            "counts": self.counts,
            "unplaced_reasons": reasons,
            "days": self.days,
            "placed": [p.to_json() for p in self.placed],
            "unplaced": [u.to_json() for u in self.unplaced],
            "seconds": self.seconds,
        }

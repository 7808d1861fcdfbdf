"""The exam's plan: referrals and follow-up items. The core suggests them from the assessment's flags and the
screening thresholds (vietnam.md §2.4, ``exams.plan_rules``); the doctor confirms or edits them into the draft;
signing records them."""

from __future__ import annotations

import json

from ksk_desktop.exams import document
from ksk_desktop.exams.errors import VersionConflict
from ksk_desktop.exams.plan_rules import apply_plan, suggest
from ksk_desktop.exams.records import ExamState, editable_draft, latest, person_of, state
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession

PLAN_SECTION = "plan"  # its own entry in section_versions, for the optimistic check


def set_plan(
    ctx: StationSession, exam_id: str, referrals: list, followups: list, *, expected_version: int | None
) -> ExamState:
    """The doctor confirms the draft's referrals and follow-ups (e.g. the suggestions, edited). Returns the state."""
    ctx.require(Perm.EXAM_WRITE)
    with ctx.write() as s:
        row = editable_draft(s, exam_id)
        versions = json.loads(row.section_versions)
        current = versions.get(PLAN_SECTION, 0)
        if expected_version is not None and expected_version != current:
            raise VersionConflict(
                f"Chuyển tuyến và theo dõi vừa được {row.updated_by} lưu: tải lại phiếu rồi nhập lại."
            )
        doc = document.loads(row.document)
        apply_plan(doc, referrals, followups)
        versions[PLAN_SECTION] = current + 1
        row.section_versions = json.dumps(versions, sort_keys=True)
        row.edit_seq += 1
        row.document = document.dumps(doc)
        row.updated_by, row.updated_at = ctx.user.username, ctx.clock.utcnow()
        ctx.audit(
            s,
            "exam.save",
            "exam",
            exam_id,
            {
                "version": row.version,
                "section": PLAN_SECTION,
                "referrals": len(doc["referrals"]),
                "followups": len(doc["followups"]),
            },
        )
        return state(ctx, row, doc, person_of(s, row.person_id))


def suggest_for(ctx: StationSession, exam_id: str) -> dict[str, list[dict]]:
    """Suggestions for the newest version of an exam (the doctor confirms them with :func:`set_plan`)."""
    ctx.require(Perm.HEALTH_READ)
    with ctx.write() as s:
        row = latest(s, exam_id)
        ctx.audit(s, "exam.read", "exam", exam_id, {"version": row.version, "suggest": True})
        return suggest(document.loads(row.document))

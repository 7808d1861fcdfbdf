"""Demo exams for ``ksk demo``: signed exams (by the demo doctor, real Ed25519) for the people examined on the
demo's exam days, and drafts with the nurse's vitals for the people in the exam room today. Values are synthetic
and realistic by age: children's growth, adults, the elderly with more hypertension and high glucose."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select

from ksk_desktop.dates import age_on
from ksk_desktop.db.models import Appointment, ExamDay, Person
from ksk_desktop.exams import document, keys, plan_rules
from ksk_desktop.exams.forms import FormDef, default_form, load_form
from ksk_desktop.exams.records import apply_values, insert_version, recompute
from ksk_desktop.exams.signing import sign_row
from ksk_desktop.ids import new_id
from ksk_desktop.people import consent
from ksk_desktop.scheduling import status as st
from ksk_desktop.security.signer import Signer
from ksk_desktop.station.lifecycle import login
from ksk_desktop.station.paths import StationPaths
from ksk_desktop.station.session import StationSession


def _age(p: Person, on: date) -> int:
    return age_on(on, p.birth_date, p.birth_year or 1980) or 0


def _vitals(rng: random.Random, age: int, sex: str) -> dict:
    male = sex != "F"
    if age < 18:
        height = (
            50
            + 25 * min(age, 1)
            + 8 * min(max(age - 1, 0), 2)
            + 6.2 * max(min(age, 12) - 3, 0)
            + (6.5 if male else 4) * max(age - 12, 0)
        )
        height = round(min(height, 172 if male else 160) + rng.gauss(0, 4), 1)
        weight = round(max(3.0, rng.gauss(15.8 if age < 10 else 18.5, 2.0) * (height / 100) ** 2), 1)
        out = {"height_cm": height, "weight_kg": weight, "pulse": int(rng.gauss(92 if age < 10 else 82, 8))}
        if age < 2:
            out["measured_lying"] = True
        return out
    height = round(rng.gauss(164 if male else 154, 5.5) - max(age - 60, 0) * 0.1, 1)
    weight = round(rng.gauss(22.0 if age < 60 else 22.8, 2.8) * (height / 100) ** 2, 1)
    systolic = int(rng.gauss(116 + 0.55 * max(age - 30, 0), 14))
    diastolic = int(min(systolic - 25, rng.gauss(72 + 0.2 * max(age - 30, 0), 8)))
    return {
        "height_cm": height,
        "weight_kg": weight,
        "pulse": int(rng.gauss(76, 8)),
        "systolic": max(systolic, 102),
        "diastolic": max(diastolic, 62),
    }


def _exam_values(rng: random.Random, form: str, age: int, sex: str) -> dict:
    v = {
        **_vitals(rng, age, sex),
        "admin.ethnicity_code": "01",
    }  # Kinh: most of Hải Phòng (no draw: same values)
    good = 10 if age < 40 else rng.choice([10, 9, 8, 8, 7])
    v |= {
        "vision_right_uncorrected": rng.choice([good, good, max(good - 2, 3)]),
        "vision_left_uncorrected": rng.choice([good, good, max(good - 1, 3)]),
        "whisper_right_m": 5 if age < 65 else rng.choice([5, 4, 3]),
        "whisper_left_m": 5 if age < 65 else 4,
        "caries_teeth": rng.choice([0, 0, 1, 2, 3]) if age < 60 else rng.choice([0, 1, 2, 4]),
    }
    if form == "child":
        if rng.random() < 0.05:
            v |= {"spine.scoliosis": True, "spine.type": "vẹo hình chữ C"}
        return v
    v["teeth.upper_jaw"] = v["teeth.lower_jaw"] = "Bình thường"
    if form == "elderly":
        fasting = rng.random() < 0.8
        v |= {
            "elderly.capillary_glucose_mmol_l": round(max(3.5, rng.gauss(6.2 if fasting else 8.0, 1.6)), 1),
            "elderly.capillary_glucose_fasting": fasting,
            "elderly.ecg": "Nhịp xoang đều",
            "elderly.abdominal_ultrasound": "Chưa phát hiện bất thường",
        }
        if rng.random() < 0.3:
            v["glucose_fasting_mmol_l"] = round(max(4.0, rng.gauss(6.4, 1.5)), 1)
    return v


def _history(form: FormDef, sex: str | None) -> dict:
    """The personal and family history the doctor asks (the yes/no items of the QĐ 1551 data set): nothing to
    report, for every item that applies to the person."""
    if "history" not in {s.id for s in form.sections}:
        return {}
    return {
        f.key: False
        for f in form.section("history").fields
        if f.type == "bool" and f.applies(sex) and (f.template_code or "").startswith(("TSGD_", "TSBT_"))
    }


def _classes(rng: random.Random, doc: dict, form_id: str, sex: str | None) -> dict:
    """Each specialty's class: at least what the measurements give its index (QĐ 1613), often I or II."""
    form = load_form(form_id)
    computed = {
        i["code"]: i.get("computed_class") or 1
        for i in ((doc["assessment"] or {}).get("qd1613") or {}).get("indices") or []
    }
    # Most specialties find nothing (class I; II for the elderly); now and then one finds something. The overall
    # class is the worst index, so a little per specialty goes a long way: adults come out mostly II, some I or
    # III, the elderly mostly III, some II or IV — and the measurements (blood pressure, BMI, vision) weigh in.
    base, bump = (2, 0.10) if form_id == "elderly" else (1, 0.08)
    out = {}
    fields = [f for sec in form.sections if sec.applies(sex) for f in sec.fields]
    for f in fields:
        if f.type == "class" and f.feeds and f.applies(sex):
            found = base + (rng.random() < bump) + (rng.random() < 0.02)
            out[f.key] = max(computed.get(f.feeds, 1), min(5, found))
    if not ((doc["assessment"] or {}).get("qd1613") or {}).get("applicable"):  # under 15: the doctor classes
        out["conclusion.health_class"] = max(out.values())
    return out


def _conclusion(doc: dict) -> dict:
    flags = {f["code"]: f["label"] for f in (doc["assessment"] or {}).get("flags") or []}
    diagnoses = ["I10"] if "tang_huyet_ap" in flags else []
    text = "; ".join(flags.values()) or "Chưa phát hiện bệnh lý"
    advice = "Khám định kỳ hằng năm" + ("; quản lý huyết áp tại trạm" if diagnoses else "")
    return {"diagnoses": diagnoses, "conclusion": text, "advice": advice}


def _rows(doctor: StationSession) -> list[tuple[Appointment, Person, date]]:
    with doctor.read() as s:
        q = (
            select(Appointment, Person, ExamDay.exam_date)
            .join(Person, Person.id == Appointment.person_id)
            .join(ExamDay, ExamDay.id == Appointment.day_id)
            .where(Appointment.status.in_([st.EXAMINED, st.IN_EXAM]))
            .order_by(Appointment.id)
        )
        rows = [(a, p, d) for a, p, d in s.execute(q).all()]
        s.expunge_all()
        return rows


def _sign_new(
    doctor: StationSession,
    signer: Signer,
    s,
    rng: random.Random,
    person: Person,
    appointment_id: str | None,  # noqa: ANN001
    day: date,
) -> None:
    """A complete exam of *person* on *day* with synthetic values, signed by *doctor* inside transaction *s*."""
    age = _age(person, day)
    form = load_form(default_form(age))
    doc = document.new_document(new_id(), person.id, appointment_id, form.form, form.form_version, day)
    values = _exam_values(rng, form.form, age, person.sex or "M") | _history(form, person.sex)
    apply_values(doctor, doc, form, values, check_perm=False)
    recompute(doc, form, person)
    classes = _classes(rng, doc, form.form, person.sex)
    apply_values(doctor, doc, form, classes, check_perm=False)
    recompute(doc, form, person)
    conclusion = _conclusion(doc)
    known = doc["health_class"]
    if doc["values"].get("conclusion.health_class") is None and (
        form.field("conclusion.health_class").required or known is None
    ):
        # The doctor agrees with the suggestion; where the measurements leave an index open (general physique
        # without the chest measured), the doctor chooses the class QĐ 1613 suggests from the indices classed.
        suggested = (((doc["assessment"] or {}).get("qd1613") or {}).get("suggested") or {}).get("class")
        conclusion["conclusion.health_class"] = known or suggested or max(classes.values(), default=1)
    apply_values(doctor, doc, form, conclusion, check_perm=False)
    for w in (doc["assessment"] or {}).get("warnings") or []:
        doc["confirmed"].append(w["field"])  # the demo doctor re-measured and confirms
    recompute(doc, form, person)
    suggested = plan_rules.suggest(doc)
    plan_rules.apply_plan(doc, suggested["referrals"], suggested["followups"])
    row = insert_version(doctor, s, doc)
    doctor.audit(s, "exam.save", "exam", doc["id"], {"version": 1, "created": True, "demo": True})
    s.flush()
    sign_row(doctor, s, row, signer)


def sign_synthetic_exams(
    doctor: StationSession, password: str, person_ids: list[str], day: date, seed: int = 7
) -> int:
    """Signed exams with synthetic values for *person_ids* on *day*, in one transaction (benchmarks); *password*
    is the doctor's, which opens their signing key."""
    signer = keys.unlock(doctor, password)
    rng = random.Random(seed)
    with doctor.write() as s:
        for person_id in person_ids:
            _sign_new(doctor, signer, s, rng, s.get_one(Person, person_id), None, day)
    return len(person_ids)


def seed_demo_exams(paths: StationPaths, username: str, password: str, seed: int = 2026) -> dict:
    """Create the demo's exams as the demo doctor *username*; returns ``{"signed", "drafts"}``."""
    doctor = login(paths, username, password)
    try:
        signer = keys.unlock(doctor, password)
        rng = random.Random(seed)
        signed = drafts = 0
        rows = _rows(doctor)
        with doctor.write() as s:
            for appt, person, day in rows:
                # Consent before the exam (Luật 91/2025): a guardian's for children; most also agree to
                # sharing the results with the electronic health record, some do not.
                given_by = "guardian" if _age(person, day) < 15 else "self"
                consent.add(doctor, s, person.id, "exam", given_by)
                if rng.random() < 0.9:
                    consent.add(doctor, s, person.id, "ehr_share", given_by)
                if appt.status == st.IN_EXAM:  # the nurse has taken the vitals; the doctor is examining
                    age = _age(person, day)
                    form = load_form(default_form(age))
                    doc = document.new_document(
                        new_id(), person.id, appt.id, form.form, form.form_version, day
                    )
                    values = _exam_values(rng, form.form, age, person.sex or "M")
                    vitals = {k: v for k, v in values.items() if form.field(k).section == "physique"}
                    apply_values(doctor, doc, form, vitals, check_perm=False)
                    recompute(doc, form, person)
                    insert_version(doctor, s, doc, section_versions={"physique": 1})
                    doctor.audit(
                        s, "exam.save", "exam", doc["id"], {"version": 1, "created": True, "demo": True}
                    )
                    drafts += 1
                    continue
                _sign_new(doctor, signer, s, rng, person, appt.id, day)
                signed += 1
        return {"signed": signed, "drafts": drafts}
    finally:
        doctor.close()

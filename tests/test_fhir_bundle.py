"""The FHIR bundle of a signed exam, checked with an independent validator (``fhir.resources``, R4B models)
and for the properties the forwarder relies on: deterministic identifiers, conditional requests, references
that only point backwards, nothing the record does not need."""

from __future__ import annotations

import copy
import json
import re

import pytest
from fhir.resources.R4B.bundle import Bundle
from testkit import fhir_examples as ex

from sync.fhir import codes
from sync.fhir.bundle import ExamNotForwardable, exam_bundle
from sync.fhir.client import _rewrite, split

CASES = {
    "adult_plain": dict(form="adult"),
    "adult_dx_referral": dict(form="adult", diagnoses=ex.hypertension(), referrals=[ex.referral()]),
    "child": dict(form="child", health_class=1),
    "child_referral": dict(form="child", referrals=[ex.referral("Bệnh viện Trẻ em Hải Phòng", "routine")]),
    "elderly_two_dx": dict(
        form="elderly",
        health_class=3,
        diagnoses=[
            *ex.hypertension(),
            {"code": "E11.9", "name": "Bệnh đái tháo đường type 2 không có biến chứng", "primary": False},
        ],
    ),
    "elderly_no_class": dict(form="elderly", health_class=None, diagnoses=ex.hypertension()),
}


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def loinc(res: dict) -> str | None:
    coding = res["code"].get("coding") or [{}]
    return coding[0].get("code") if coding[0].get("system") == codes.LOINC else None


@pytest.mark.parametrize("case", sorted(CASES))
def test_bundle_validates_as_fhir_r4b(case):
    person = ex.person(sex="M" if "child" in case else "F")
    exam = ex.exam_document(person["id"], **CASES[case])
    bundle = exam_bundle(person, exam, ex.STATION)
    parsed = Bundle.model_validate(bundle)  # raises on any structural error
    assert parsed.type == "transaction"
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[0] == "Patient" and kinds[1] == "Encounter" and kinds[-1] == "Composition"
    assert kinds.count("Condition") == len({d["code"] for d in exam["diagnoses"]})
    assert kinds.count("ServiceRequest") == len(exam["referrals"])
    assert kinds.count("Composition") == 1


def test_the_validator_can_fail():
    person = ex.person()
    bundle = exam_bundle(person, ex.exam_document(person["id"]), ex.STATION)
    broken = copy.deepcopy(bundle)
    broken["entry"][0]["resource"]["birthDate"] = "17/05/1988"
    with pytest.raises(ValueError):
        Bundle.model_validate(broken)
    del bundle["entry"][2]["resource"]["code"]
    with pytest.raises(ValueError):
        Bundle.model_validate(bundle)


def test_vitals_use_loinc_and_ucum():
    person = ex.person()
    exam = ex.exam_document(person["id"], form="adult")
    obs = {loinc(o): o for o in resources(exam_bundle(person, exam, ex.STATION), "Observation") if loinc(o)}
    assert obs["8302-2"]["valueQuantity"] == {
        "value": 165,
        "unit": "cm",
        "system": "http://unitsofmeasure.org",
        "code": "cm",
    }
    assert obs["29463-7"]["valueQuantity"]["value"] == 60.5
    assert obs["39156-5"]["valueQuantity"]["value"] == pytest.approx(22.2, abs=0.05)
    assert obs["8867-4"]["valueQuantity"]["value"] == 78
    bp = obs["85354-9"]
    assert {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in bp["component"]} == {
        "8480-6": 130,
        "8462-4": 85,
    }
    assert all(o["category"][0]["coding"][0]["code"] == "vital-signs" for o in obs.values())
    assert all(o["status"] == "final" and o["effectiveDateTime"] == "2026-11-20" for o in obs.values())


def test_child_without_blood_pressure_has_no_bp_panel():
    person = ex.person(personal_id=None, dob="2016-03-02", sex="M", name="Lê Minh Khang")
    bundle = exam_bundle(person, ex.exam_document(person["id"], form="child"), ex.STATION)
    codes_ = {loinc(o) for o in resources(bundle, "Observation")}
    assert "85354-9" not in codes_ and {"8302-2", "29463-7", "39156-5", "8867-4"} <= codes_
    patient = resources(bundle, "Patient")[0]
    # No personal ID: the person's UUID is the only identifier.
    assert patient["identifier"] == [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{person['id']}"}]
    assert bundle["entry"][0]["request"]["ifNoneExist"] == codes.search(patient["identifier"][0])


def test_patient_carries_the_personal_id_and_nothing_it_does_not_need():
    person = ex.person() | {
        "insurance_no": "HT3313123456789",
        "guardian_name": "Nguyễn Văn A",
        "flags": ["poor"],
    }
    bundle = exam_bundle(person, ex.exam_document(person["id"]), ex.STATION)
    entry = bundle["entry"][0]
    patient = entry["resource"]
    assert patient["identifier"][0] == {
        "use": "official",
        "system": "http://fhir.hl7.org.vn/core/sid/cccd",
        "value": "031088001234",
    }
    assert patient["identifier"][1] == codes.uuid_identifier(person["id"])
    # Created only when absent, matched on the stable person UUID (an existing Patient is merged: patient.send)
    assert entry["request"] == {
        "method": "POST",
        "url": "Patient",
        "ifNoneExist": f"identifier=urn%3Aietf%3Arfc%3A3986%7Curn%3Auuid%3A{person['id']}",
    }
    assert patient["name"][0] == {
        "use": "official",
        "text": "Nguyễn Thị Hồng Nhung",
        "family": "Nguyễn",
        "given": ["Thị", "Hồng", "Nhung"],
    }
    assert patient["gender"] == "female" and patient["birthDate"] == "1988-05-17"
    assert set(patient) == {"resourceType", "identifier", "name", "gender", "birthDate", "address"}
    text = json.dumps(bundle, ensure_ascii=False)
    for secret in ("0912345678", "HT3313123456789", "Nguyễn Văn A", "poor", "c2lnbmF0dXJl"):
        assert secret not in text


def test_identifiers_are_deterministic_and_every_request_is_conditional():
    person = ex.person()
    exam = ex.exam_document(person["id"], diagnoses=ex.hypertension(), referrals=[ex.referral()])
    first, second = (
        exam_bundle(person, exam, ex.STATION),
        exam_bundle(person, copy.deepcopy(exam), ex.STATION),
    )
    assert first == second
    for entry in first["entry"]:
        ident = entry["resource"]["identifier"]
        ident = ident[-1] if entry["resource"]["resourceType"] == "Patient" else ident
        ident = ident[0] if isinstance(ident, list) else ident
        assert entry["request"] == {
            "method": "POST",
            "url": entry["resource"]["resourceType"],
            "ifNoneExist": codes.search(ident),
        }
    enc = resources(first, "Encounter")[0]
    assert enc["identifier"] == [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{exam['id']}"}]
    sr = resources(first, "ServiceRequest")[0]
    assert sr["identifier"][0]["value"] == f"urn:uuid:{exam['referrals'][0]['id']}"
    assert sr["priority"] == "urgent" and sr["performer"] == [{"display": "Trung tâm Y tế Kiến Thụy"}]
    cond = resources(first, "Condition")[0]
    assert cond["code"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10",
        "code": "I10",
        "display": "Bệnh lý tăng huyết áp vô căn (nguyên phát)",
    }
    # A different exam of the same person: same Patient request, different everything else.
    other = exam_bundle(person, ex.exam_document(person["id"]), ex.STATION)
    assert other["entry"][0]["request"] == first["entry"][0]["request"]
    assert other["entry"][1]["request"] != first["entry"][1]["request"]


def test_full_urls_are_never_identifier_values():
    """A server rewrites every string equal to a fullUrl: an identifier value must never be one."""
    person = ex.person()
    bundle = exam_bundle(person, ex.exam_document(person["id"], referrals=[ex.referral()]), ex.STATION)
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    values = set(re.findall(r'"value": "(urn:uuid:[^"]+)"', json.dumps(bundle)))
    assert values and not (full_urls & values)


def test_references_point_only_backwards_so_a_split_bundle_resolves():
    person = ex.person()
    exam = ex.exam_document(
        person["id"], diagnoses=ex.hypertension(), referrals=[ex.referral(), ex.referral()]
    )
    bundle = exam_bundle(person, exam, ex.STATION)
    seen: set[str] = set()
    for entry in bundle["entry"]:
        refs = set(re.findall(r'"reference": "([^"]+)"', json.dumps(entry["resource"])))
        assert refs <= seen, f"{entry['resource']['resourceType']} refers forward"
        seen.add(entry["fullUrl"])
    groups = split(bundle, 8)
    assert [len(g) for g in groups] == [8, 6]
    resolved = {e["fullUrl"]: f"{e['resource']['resourceType']}/x{i}" for i, e in enumerate(groups[0])}
    later = json.dumps(_rewrite(groups[1], resolved))
    assert "Patient/x0" in later and "Encounter/x1" in later
    assert not (
        set(re.findall(r'"reference": "(urn:uuid:[^"]+)"', later)) - {e["fullUrl"] for e in groups[1]}
    )


def test_amendment_updates_in_place_and_retires_what_it_dropped():
    person = ex.person()
    v1 = ex.exam_document(person["id"], diagnoses=ex.hypertension(), referrals=[ex.referral()])
    v2 = ex.exam_document(
        person["id"],
        exam_id=v1["id"],
        version=2,
        amends_version=1,
        values={"height_cm": 165, "weight_kg": 61.0, "systolic": 150, "diastolic": 95},
        diagnoses=[{"code": "E11.9", "name": "Đái tháo đường type 2", "primary": True}],
    )
    bundle = exam_bundle(person, v2, ex.STATION, previous=v1)
    Bundle.model_validate(bundle)
    by_kind = {}
    for e in bundle["entry"]:
        by_kind.setdefault(e["resource"]["resourceType"], []).append(e)
    # The Patient is created if absent (and merged by patient.send), never overwritten by a PUT.
    assert by_kind["Patient"][0]["request"]["method"] == "POST"
    assert all(
        e["request"]["method"] == "PUT"
        for k, es in by_kind.items()
        if k not in ("Composition", "Patient")
        for e in es
    )
    obs = {e["resource"]["code"]["coding"][0]["code"]: e["resource"] for e in by_kind["Observation"]}
    assert obs["8867-4"]["status"] == "entered-in-error"  # pulse was not in the amended values
    assert obs["8480-6" if "8480-6" in obs else "85354-9"]["status"] == "amended"
    conds = {c["resource"]["code"]["coding"][0]["code"]: c["resource"] for c in by_kind["Condition"]}
    assert conds["I10"]["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert "clinicalStatus" not in conds["I10"]
    assert conds["E11.9"]["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert by_kind["ServiceRequest"][0]["resource"]["status"] == "revoked"
    comp = by_kind["Composition"][0]
    assert comp["resource"]["status"] == "amended" and comp["request"]["method"] == "POST"
    assert comp["resource"]["relatesTo"][0]["targetIdentifier"] == codes.exam_part_identifier(
        v1["id"], "composition/v1"
    )
    v1_comp = resources(exam_bundle(person, v1, ex.STATION), "Composition")[0]
    assert v1_comp["identifier"] == comp["resource"]["relatesTo"][0]["targetIdentifier"]
    assert v1_comp["identifier"] != comp["resource"]["identifier"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"status": "draft"}, "chưa được ký"),
        ({"exam_date": "20/11/2026"}, "Ngày khám"),
        ({"person_id": None}, "person_id"),
        ({"signed_at": "hôm qua"}, "Thời điểm ký"),
    ],
)
def test_documents_that_cannot_become_a_record_are_refused(change, message):
    person = ex.person()
    exam = ex.exam_document(person["id"]) | change
    with pytest.raises(ExamNotForwardable, match=message):
        exam_bundle(person, exam, ex.STATION)


def test_values_that_are_not_numbers_are_left_out():
    person = ex.person()
    exam = ex.exam_document(
        person["id"], values={"height_cm": 165, "weight_kg": float("inf"), "pulse": True, "systolic": "130"}
    )
    bundle = exam_bundle(person, exam, ex.STATION)
    json.dumps(bundle, allow_nan=False)
    assert {loinc(o) for o in resources(bundle, "Observation")} == {"8302-2", None}  # height + health class

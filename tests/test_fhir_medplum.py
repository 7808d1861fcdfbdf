"""Exam bundles against a real FHIR engine on loopback: Medplum's router and in-memory repository behind our
Node shim (tests/peers/medplum), which validates every resource with @medplum/core and FHIR.js.

A replay must create nothing, an amendment must change values in place, and one person must stay one
Patient whatever number of exams arrive."""

from __future__ import annotations

import copy

import pytest
from testkit import fhir_examples as ex

from sync.fhir import codes
from sync.fhir.bundle import exam_bundle
from sync.fhir.client import FhirClient, FhirRejected


@pytest.fixture
def fhir(medplum):
    client = FhirClient(medplum.url)
    yield client
    client.close()


def token(identifier: dict) -> dict[str, str]:
    return {"identifier": f"{identifier['system']}|{identifier['value']}"}


def found(fhir: FhirClient, kind: str, identifier: dict) -> list[dict]:
    return fhir.search(kind, token(identifier))


def exam_resources(fhir: FhirClient, exam: dict) -> dict[str, list[dict]]:
    """Everything the server holds for one exam, found through its Encounter."""
    (enc,) = found(fhir, "Encounter", codes.uuid_identifier(exam["id"]))
    out: dict[str, list[dict]] = {"Encounter": [enc]}
    for kind in ("Observation", "Condition", "ServiceRequest", "Composition"):
        out[kind] = fhir.search(kind, {"encounter": f"Encounter/{enc['id']}"})
    return out


def by_code(observations: list[dict]) -> dict[str, dict]:
    return {o["code"]["coding"][0]["code"]: o for o in observations}


def test_a_bundle_is_stored_once_and_a_replay_creates_nothing(fhir):
    person = ex.person(personal_id="031088100001")
    exam = ex.exam_document(person["id"], diagnoses=ex.hypertension(), referrals=[ex.referral()])
    bundle = exam_bundle(person, exam, ex.STATION)
    first = fhir.transaction(bundle)
    assert len(first) == len(bundle["entry"]) == 13  # more than Medplum's 8: sent in two transactions

    (patient,) = found(fhir, "Patient", {"system": codes.CCCD_SYSTEM, "value": "031088100001"})
    assert patient["name"][0]["text"] == "Nguyễn Thị Hồng Nhung" and patient["birthDate"] == "1988-05-17"
    held = exam_resources(fhir, exam)
    assert held["Encounter"][0]["subject"]["reference"] == f"Patient/{patient['id']}"
    assert sorted(by_code(held["Observation"])) == sorted(
        [
            *("8302-2", "29463-7", "39156-5", "85354-9", "8867-4", "health_class"),
            *("vision_right_uncorrected", "vision_left_uncorrected"),
        ]
    )
    assert len(held["Condition"]) == 1 and len(held["ServiceRequest"]) == 1 and len(held["Composition"]) == 1
    comp = held["Composition"][0]
    assert comp["subject"]["reference"] == f"Patient/{patient['id']}"  # rewritten across the split
    assert {e["reference"].split("/")[0] for s in comp["section"] for e in s.get("entry", [])} == {
        "Observation",
        "Condition",
        "ServiceRequest",
    }

    again = fhir.transaction(copy.deepcopy(bundle))
    assert again == first  # every conditional request matched what the first attempt made
    assert len(found(fhir, "Patient", {"system": codes.CCCD_SYSTEM, "value": "031088100001"})) == 1
    held_again = exam_resources(fhir, exam)
    assert {k: len(v) for k, v in held_again.items()} == {k: len(v) for k, v in held.items()}


def test_an_amendment_updates_values_in_place(fhir):
    person = ex.person(personal_id="031088100002")
    v1 = ex.exam_document(person["id"], diagnoses=ex.hypertension(), referrals=[ex.referral()])
    fhir.transaction(exam_bundle(person, v1, ex.STATION))
    v2 = ex.exam_document(
        person["id"],
        exam_id=v1["id"],
        version=2,
        amends_version=1,
        values={"height_cm": 165, "weight_kg": 62.0, "systolic": 150, "diastolic": 96, "pulse": 80},
        diagnoses=[{"code": "E11.9", "name": "Đái tháo đường type 2", "primary": True}],
        health_class=3,
    )
    for _ in range(2):  # the amendment replayed changes nothing either
        fhir.transaction(exam_bundle(person, v2, ex.STATION, previous=v1))

    held = exam_resources(fhir, v1)
    obs = by_code(held["Observation"])
    assert len(held["Observation"]) == len(obs) == 8
    # v2 has no vision values: the v1 ones are withdrawn, not left standing
    assert obs["vision_right_uncorrected"]["status"] == "entered-in-error"
    assert obs["29463-7"]["valueQuantity"]["value"] == 62.0 and obs["29463-7"]["status"] == "amended"
    assert {
        c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in obs["85354-9"]["component"]
    } == {"8480-6": 150, "8462-4": 96}
    assert obs["health_class"]["valueCodeableConcept"]["coding"] == [
        {"system": codes.HEALTH_CLASS, "code": "III", "display": "Loại III - Trung bình"}
    ]
    conds = {c["code"]["coding"][0]["code"]: c for c in held["Condition"]}
    assert set(conds) == {"I10", "E11.9"}
    assert conds["I10"]["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert held["ServiceRequest"][0]["status"] == "revoked"
    comps = sorted(held["Composition"], key=lambda c: c["status"])
    assert [c["status"] for c in comps] == ["amended", "final"]
    assert comps[0]["relatesTo"][0]["targetIdentifier"] == comps[1]["identifier"]
    assert len(found(fhir, "Patient", {"system": codes.CCCD_SYSTEM, "value": "031088100002"})) == 1


def test_two_exams_of_one_person_share_one_patient(fhir):
    person = ex.person(personal_id="031088100003")
    exams = [
        ex.exam_document(person["id"], exam_date="2026-11-20"),
        ex.exam_document(person["id"], form="elderly", exam_date="2026-11-25", diagnoses=ex.hypertension()),
    ]
    for exam in exams:
        fhir.transaction(exam_bundle(person, exam, ex.STATION))
    (patient,) = found(fhir, "Patient", {"system": codes.CCCD_SYSTEM, "value": "031088100003"})
    encounters = fhir.search("Encounter", {"subject": f"Patient/{patient['id']}"})
    assert sorted(e["period"]["start"] for e in encounters) == ["2026-11-20", "2026-11-25"]


def test_a_person_without_personal_id_is_one_patient_by_uuid(fhir):
    person = ex.person(personal_id=None, name="Lê Minh Khang", sex="M", dob="2016-03-02")
    for _ in range(2):
        fhir.transaction(exam_bundle(person, ex.exam_document(person["id"], form="child"), ex.STATION))
    patients = found(fhir, "Patient", codes.uuid_identifier(person["id"]))
    assert len(patients) == 1 and patients[0]["gender"] == "male"
    assert len(fhir.search("Encounter", {"subject": f"Patient/{patients[0]['id']}"})) == 2


def test_the_engine_rejects_invalid_content_with_an_operation_outcome(fhir):
    person = ex.person(personal_id="031088100004")
    bundle = exam_bundle(person, ex.exam_document(person["id"]), ex.STATION)
    bad = copy.deepcopy(bundle)
    bad["entry"][2]["resource"]["status"] = "done"  # not in the required ObservationStatus value set
    with pytest.raises(FhirRejected, match="done"):
        fhir.transaction(bad)
    too_big = FhirClient(fhir.base_url, max_entries=50)
    with pytest.raises(FhirRejected, match="too many entries"):
        too_big.transaction(bundle)
    too_big.close()

"""The Patient against the real FHIR engine (Medplum behind tests/peers/medplum): one Patient per person whatever
order the personal ID arrives in, nothing the server holds lost, versioned updates that notice a concurrent
change, the personal-ID identifier system as configured; and every exam value on the server, with the doctor as
a Practitioner."""

from __future__ import annotations

import json
import uuid

import pytest
from testkit import fhir_examples as ex

from ksk_desktop.exams import forms
from sync.fhir import codes, patient
from sync.fhir.bundle import exam_bundle
from sync.fhir.client import FhirClient

BHYT = "http://fhir.hl7.org.vn/core/sid/bhyt"
OTHER_SYSTEM = "http://fhir.ehealth.gov.vn/core/sid/cccd"


@pytest.fixture
def fhir(medplum):
    client = FhirClient(medplum.url)
    yield client
    client.close()


def by_identifier(fhir: FhirClient, kind: str, system: str, value: str) -> list[dict]:
    return fhir.search(kind, {"identifier": f"{system}|{value}"})


def city_patient(fhir: FhirClient, personal_id: str, system: str = codes.CCCD_SYSTEM) -> dict:
    """A Patient the city's own record system made: personal ID, insurance number and phone, none of ours."""
    body = {
        "resourceType": "Patient",
        "identifier": [
            {"use": "official", "system": system, "value": personal_id},
            {"system": BHYT, "value": "HT3313123456789"},
        ],
        "name": [{"use": "official", "text": "Nguyễn Thị Hồng Nhung"}],
        "telecom": [{"system": "phone", "value": "0912345678", "use": "mobile"}],
        "gender": "female",
    }
    r = fhir.http.post(
        f"{fhir.base_url}/Patient", json=body, headers={"Content-Type": "application/fhir+json"}
    )
    assert r.status_code == 201, r.text
    return r.json()


def send(fhir: FhirClient, person: dict, exam: dict, system: str = codes.CCCD_SYSTEM) -> list[str]:
    bundle = exam_bundle(person, exam, ex.STATION, doctor=ex.DOCTOR, personal_id_system=system)
    return patient.send(fhir, bundle, person, system)


def subject_of(fhir: FhirClient, exam: dict) -> str:
    ident = codes.uuid_identifier(exam["id"])
    (enc,) = by_identifier(fhir, "Encounter", ident["system"], ident["value"])
    return enc["subject"]["reference"]


def test_what_the_server_holds_survives_every_exam(fhir):
    held = city_patient(fhir, "031088200001")
    person = ex.person(personal_id="031088200001")
    first = ex.exam_document(person["id"])
    locations = send(fhir, person, first)
    assert locations[0] == f"Patient/{held['id']}"  # adopted, not duplicated
    (after,) = by_identifier(fhir, "Patient", codes.CCCD_SYSTEM, "031088200001")
    assert after["id"] == held["id"] and subject_of(fhir, first) == f"Patient/{held['id']}"
    assert {"system": BHYT, "value": "HT3313123456789"} in after["identifier"]
    assert after["telecom"] == [{"system": "phone", "value": "0912345678", "use": "mobile"}]
    assert codes.uuid_identifier(person["id"]) in after["identifier"]
    assert after["birthDate"] == "1988-05-17"

    # A replay changes nothing (no new version); a move and a new exam add the address, keeping the rest.
    send(fhir, person, first)
    (again,) = by_identifier(fhir, "Patient", codes.CCCD_SYSTEM, "031088200001")
    assert again["meta"]["versionId"] == after["meta"]["versionId"]
    moved = person | {"current_address": "Tổ dân phố 3, phường Lê Chân, thành phố Hải Phòng"}
    send(fhir, moved, ex.exam_document(person["id"], exam_date="2026-11-25"))
    (last,) = by_identifier(fhir, "Patient", codes.CCCD_SYSTEM, "031088200001")
    assert {"system": BHYT, "value": "HT3313123456789"} in last["identifier"]
    assert last["telecom"] == [{"system": "phone", "value": "0912345678", "use": "mobile"}]
    assert [(a["use"], a["text"]) for a in last["address"]] == [
        ("home", "Tổ dân phố 3, phường Lê Chân, thành phố Hải Phòng"),
        ("old", "Thôn Đông, xã Kiến Thụy, thành phố Hải Phòng"),
    ]
    assert len(fhir.search("Encounter", {"subject": f"Patient/{held['id']}"})) == 2


def test_a_personal_id_that_arrives_later_or_is_corrected_keeps_one_patient(fhir):
    person = ex.person(personal_id=None, name="Lê Minh Khang", sex="M", dob="2016-03-02")
    send(fhir, person, ex.exam_document(person["id"], form="child"))
    (made,) = by_identifier(fhir, "Patient", codes.URI_SYSTEM, codes.urn(person["id"]))
    assert [i["system"] for i in made["identifier"]] == [codes.URI_SYSTEM]

    with_id = person | {"personal_id": "031216200002"}
    send(fhir, with_id, ex.exam_document(person["id"], form="child", exam_date="2026-11-21"))
    corrected = person | {"personal_id": "031216200003"}
    send(fhir, corrected, ex.exam_document(person["id"], form="child", exam_date="2026-11-22"))

    (one,) = by_identifier(fhir, "Patient", codes.URI_SYSTEM, codes.urn(person["id"]))
    assert one["id"] == made["id"]
    ids = {i["value"]: i.get("use") for i in one["identifier"] if i["system"] == codes.CCCD_SYSTEM}
    assert ids == {"031216200002": "old", "031216200003": "official"}
    assert [p["id"] for p in by_identifier(fhir, "Patient", codes.CCCD_SYSTEM, "031216200003")] == [
        made["id"]
    ]
    assert len(fhir.search("Encounter", {"subject": f"Patient/{made['id']}"})) == 3


def test_a_merged_person_finds_the_patient_made_under_the_other_id(fhir):
    merged = ex.person(personal_id=None)
    send(fhir, merged, ex.exam_document(merged["id"]))
    kept = ex.person(personal_id=None) | {"merged_ids": [merged["id"]]}
    exam = ex.exam_document(kept["id"])
    send(fhir, kept, exam)
    (one,) = by_identifier(fhir, "Patient", codes.URI_SYSTEM, codes.urn(merged["id"]))
    assert subject_of(fhir, exam) == f"Patient/{one['id']}"
    assert codes.uuid_identifier(kept["id"]) in one["identifier"]


class _EditedMeanwhile(FhirClient):
    """Another writer changes the Patient between our read and our write, once."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.raced = False

    def update(self, resource: dict, *, if_match: str) -> dict:
        if not self.raced:
            self.raced = True
            (now,) = self.search("Patient", {"_id": resource["id"]})
            now["telecom"] = [*now.get("telecom", []), {"system": "email", "value": "nhung@example.vn"}]
            r = self.http.put(f"{self.base_url}/Patient/{now['id']}", json=now)
            assert r.status_code == 200, r.text
        return super().update(resource, if_match=if_match)


def test_a_concurrent_change_is_merged_not_overwritten(medplum):
    held = city_patient(FhirClient(medplum.url), "031088200004")
    person = ex.person(personal_id="031088200004")
    racing = _EditedMeanwhile(medplum.url)
    send(racing, person, ex.exam_document(person["id"]))
    assert racing.raced
    (now,) = by_identifier(racing, "Patient", codes.CCCD_SYSTEM, "031088200004")
    assert now["id"] == held["id"] and now["meta"]["versionId"] != held["meta"]["versionId"]
    assert {t["value"] for t in now["telecom"]} == {"0912345678", "nhung@example.vn"}  # the other writer's
    assert codes.uuid_identifier(person["id"]) in now["identifier"]  # and ours
    racing.close()


def test_the_personal_id_system_is_the_configured_one(fhir):
    held = city_patient(fhir, "031088200005", system=OTHER_SYSTEM)
    person = ex.person(personal_id="031088200005")
    send(fhir, person, ex.exam_document(person["id"]), system=OTHER_SYSTEM)
    (one,) = by_identifier(fhir, "Patient", OTHER_SYSTEM, "031088200005")
    assert one["id"] == held["id"]
    assert not by_identifier(fhir, "Patient", codes.CCCD_SYSTEM, "031088200005")


def full_values(form: str, sex: str = "F") -> dict:
    """A value for every field of *form*'s values (the document keys aside), by type."""
    out: dict = {}
    for f in forms.load_form(form).fields.values():
        if f.document_key or not f.applies(sex):
            continue
        if f.type in ("number", "integer"):
            low, high = f.range or (0, 10)
            out[f.key] = int((low + high) // 2) if f.type == "integer" else round((low + high) / 2, 1)
        elif f.type == "class":
            out[f.key] = 2
        elif f.type == "bool":
            out[f.key] = True
        elif f.type == "choice":
            out[f.key] = f.choices[-1]
        elif f.type == "date":
            out[f.key] = "2021-04-20"
        elif f.type == "icd10_codes":
            out[f.key] = "I10;E11.9"
        else:
            out[f.key] = f"{f.label}: bình thường"
    return out


def raw(part: dict) -> object:
    """The value an Observation or component holds, as the exam document writes it."""
    if "valueQuantity" in part:
        return part["valueQuantity"]["value"]
    if "valueCodeableConcept" in part:
        coding = part["valueCodeableConcept"]["coding"][0]
        roman = {v: k for k, v in codes.ROMAN.items()}
        return roman[coding["code"]] if coding["system"] == codes.HEALTH_CLASS else coding["code"]
    (key,) = [k for k in part if k.startswith("value")]
    return part[key]


def wanted(value: object) -> set:
    if isinstance(value, dict):  # a class with the doctor's reason
        return {value["class"]}
    if isinstance(value, str) and ";" in value:  # an ICD-10 list
        return set(value.split(";"))
    return {value}


@pytest.mark.parametrize("form", ["adult", "child", "elderly"])
def test_every_exam_value_reaches_the_server(fhir, form):
    person = ex.person(personal_id=None)
    values = full_values(form)
    if form != "child":
        values["surgery.class"] = {"class": 3, "reason": "Sẹo mổ cũ"}
    newest = forms.load_form(
        form
    ).form_version  # the version full_values filled: its fields' types say how each goes
    exam = ex.exam_document(
        person["id"], form=form, form_version=newest, values=values, diagnoses=ex.hypertension()
    )
    send(fhir, person, exam)
    ident = codes.uuid_identifier(exam["id"])
    (enc,) = by_identifier(fhir, "Encounter", ident["system"], ident["value"])
    observations = fhir.search("Observation", {"encounter": f"Encounter/{enc['id']}"})

    seen: dict[str, list[dict]] = {}  # field key -> the value elements the server holds for it
    for o in observations:
        for part in [o, *o.get("component", [])]:
            for coding in part["code"].get("coding", []):
                if coding["system"] == codes.EXAM_FIELD:
                    seen.setdefault(coding["code"], []).append(part)
                elif coding["system"] == codes.LOINC:
                    seen.setdefault(coding["code"], []).append(part)
    loinc = {
        "height_cm": "8302-2",
        "weight_kg": "29463-7",
        "pulse": "8867-4",
        "systolic": "8480-6",
        "diastolic": "8462-4",
        "conclusion.health_class": "health_class",
    }
    for key, value in values.items():
        held = seen.get(loinc.get(key, key))
        assert held, f"{key} is not on the server"
        assert wanted(value) <= {raw(part) for part in held}, key
    # The organ/specialty classes and the health class are coded in the health-class system.
    classes = [
        o
        for o in observations
        if "valueCodeableConcept" in o
        and o["valueCodeableConcept"]["coding"][0]["system"] == codes.HEALTH_CLASS
    ]
    class_fields = [f.key for f in forms.load_form(form).fields.values() if f.type == "class"]
    assert len(classes) == len(
        class_fields
    )  # each organ class + the overall class (conclusion's choice is it)
    if form != "child":
        (surgery,) = seen["surgery.class"]
        assert surgery["valueCodeableConcept"]["coding"][0]["code"] == "III"
        assert surgery["note"] == [{"text": "Sẹo mổ cũ"}]
    # ICD-10 lists in the history are coded, one component per code
    if "history.treatment_codes" in values:
        assert {p["valueCodeableConcept"]["coding"][0]["code"] for p in seen["history.treatment_codes"]} == {
            "I10",
            "E11.9",
        }
    # The doctor is a Practitioner with the licence number, the performer of every Observation.
    (doctor,) = by_identifier(fhir, "Practitioner", codes.CCHN_SYSTEM, ex.DOCTOR["licence_no"])
    assert doctor["name"][0]["text"] == ex.DOCTOR["full_name"]
    assert {o["performer"][0]["reference"] for o in observations} == {f"Practitioner/{doctor['id']}"}
    assert enc["participant"][0]["individual"]["reference"] == f"Practitioner/{doctor['id']}"
    (cond,) = fhir.search("Condition", {"encounter": f"Encounter/{enc['id']}"})
    assert cond["asserter"]["reference"] == f"Practitioner/{doctor['id']}"
    (comp,) = fhir.search("Composition", {"encounter": f"Encounter/{enc['id']}"})
    assert comp["author"][0]["reference"] == f"Practitioner/{doctor['id']}"
    listed = {e["reference"] for s in comp["section"] for e in s.get("entry", [])}
    assert {f"Observation/{o['id']}" for o in observations} <= listed
    assert json.dumps(observations, ensure_ascii=False).count("Infinity") == 0


def test_a_doctor_is_one_practitioner_and_one_without_licence_is_named_only(fhir):
    person = ex.person(personal_id=None)
    for day in ("2026-11-20", "2026-11-21"):
        send(fhir, person, ex.exam_document(person["id"], exam_date=day))
    assert len(by_identifier(fhir, "Practitioner", codes.CCHN_SYSTEM, ex.DOCTOR["licence_no"])) == 1
    exam = ex.exam_document(person["id"], exam_id=str(uuid.uuid4()))
    bundle = exam_bundle(person, exam, ex.STATION, doctor={"full_name": "BS. Cũ", "licence_no": None})
    assert "Practitioner" not in {e["resource"]["resourceType"] for e in bundle["entry"]}
    patient.send(fhir, bundle, person, codes.CCCD_SYSTEM)
    ident = codes.uuid_identifier(exam["id"])
    (enc,) = by_identifier(fhir, "Encounter", ident["system"], ident["value"])
    assert enc["participant"] == [{"individual": {"display": "BS. Cũ"}}]


def test_the_merge_keeps_a_fuller_birth_date_and_other_names():
    held = {
        "resourceType": "Patient",
        "id": "p1",
        "meta": {"versionId": "3"},
        "identifier": [{"system": BHYT, "value": "HT3313123456789"}],
        "name": [{"use": "official", "text": "Nguyen Thi Hong Nhung"}, {"use": "nickname", "text": "Nhung"}],
        "birthDate": "1988-05-17",
        "contact": [{"name": {"text": "Nguyễn Văn A"}}],
    }
    ours = patient.resource(ex.person(dob=None) | {"birth_year": 1988}, codes.CCCD_SYSTEM)
    merged = patient.merge(held, ours, codes.CCCD_SYSTEM)
    assert merged["birthDate"] == "1988-05-17" and merged["contact"] == held["contact"]
    assert [(n["use"], n["text"]) for n in merged["name"]] == [
        ("official", "Nguyễn Thị Hồng Nhung"),
        ("old", "Nguyen Thi Hong Nhung"),
        ("nickname", "Nhung"),
    ]
    assert merged["identifier"][0] == {"system": BHYT, "value": "HT3313123456789"}
    assert held["name"][0]["use"] == "official"  # the server's copy is not changed in place
    assert patient.merge(merged, ours, codes.CCCD_SYSTEM) == merged  # merging again changes nothing

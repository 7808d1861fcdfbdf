"""The hub's side: pushed exams are checked, counted and queued once; the forwarder sends each to a real FHIR
engine (Medplum behind our shim) exactly once, retries what failed for a transient reason and parks what the
server refused, with the reason visible in the statistics."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import update
from testkit import fhir_examples as ex
from testkit.stations import register_station

from sync.fhir import codes
from sync.fhir.client import FhirClient
from sync.fhir.forward import WAITING_FOR_PERSON, ForwardConfig, Forwarder
from sync.hub.models import FhirForward
from sync.hub.store import HubStore

NOW_CONFIG = ForwardConfig(retry_base_s=0.0)  # retries due at once: the tests drive the rounds themselves


@pytest.fixture
def store(tmp_path):
    hub = HubStore(f"sqlite:///{tmp_path / 'hub.db'}")
    yield hub
    hub.close()


@pytest.fixture
def device(store):
    """An enrolled device whose doctor's key is registered and approved (exams signed with it go on to FHIR)."""
    register_station(store, "TYT-KT", "11680")
    code = store.new_enroll_code("TYT-KT")
    _device_id, token = store.enroll(code, "TYT-KT", str(uuid.uuid4()), "11680")
    dev = store.authenticate(token)
    ex.approve_doctor_key(store)
    assert store.push(dev, [ex.doctor_key_item()])[0]["status"] == "accepted"
    return dev


def queue_figures(*, pending: int = 0, sent: int = 0) -> dict:
    """``ksk hub stats``'s FHIR figures with nothing parked, waiting or held."""
    return {"pending": pending, "sent": sent, "parked": 0, "waiting": 0, "held": 0, "parked_items": []}


def item(kind: str, entity_id: str, version: int, payload: dict) -> dict:
    return {
        "item_id": str(uuid.uuid4()),
        "kind": kind,
        "entity_id": entity_id,
        "entity_version": version,
        "payload": payload,
    }


def consent(person_id: str, *, active: bool = True, version: int = 1, consent_id: str | None = None) -> dict:
    """A consent item as a station sends it (``ConsentRow.to_json()``): sharing with the health record."""
    cid = consent_id or str(uuid.uuid4())
    return item(
        "consent",
        cid,
        version,
        {
            "id": cid,
            "person_id": person_id,
            "kind": "ehr_share",
            "given_by": "self",
            "recorded_by": "letan",
            "recorded_at": "2026-11-20T08:00:00Z",
            "withdrawn_by": None if active else "letan",
            "withdrawn_at": None if active else "2026-11-21T08:00:00Z",
            "note": None,
            "active": active,
        },
    )


def push_person_and_exam(store, device, person, exam, kind="exam") -> list[dict]:
    """The person, their consent to the health record, then the exam: the answer of the exam last."""
    answers = store.push(
        device,
        [
            item("person", person["id"], 1, person),
            consent(person["id"]),
            item(kind, exam["id"], exam["version"], exam),
        ],
    )
    return [answers[0], answers[2]]


def encounters(fhir: FhirClient, exam: dict) -> list[dict]:
    ident = codes.uuid_identifier(exam["id"])
    return fhir.search("Encounter", {"identifier": f"{ident['system']}|{ident['value']}"})


def held(fhir: FhirClient, exam: dict) -> dict[str, int]:
    (enc,) = encounters(fhir, exam)
    return {
        kind: len(fhir.search(kind, {"encounter": f"Encounter/{enc['id']}"}))
        for kind in ("Observation", "Condition", "ServiceRequest", "Composition")
    }


def unique_person(**kw) -> dict:
    return ex.person(personal_id=f"0310{uuid.uuid4().int % 10**8:08d}", **kw)


def test_the_hub_checks_exams_and_counts_them_per_kind(store, device):
    person = unique_person()
    exam = ex.exam_document(person["id"])
    draft = ex.exam_document(person["id"]) | {"status": "draft"}
    wrong = ex.exam_document(person["id"])
    amendment_without_base = ex.exam_document(person["id"], version=2) | {"amends_version": None}
    answers = store.push(
        device,
        [
            item("person", person["id"], 1, person),
            item("exam", exam["id"], 1, exam),
            item("exam", draft["id"], 1, draft),
            item("exam", str(uuid.uuid4()), 1, wrong),
            item("amendment", amendment_without_base["id"], 2, amendment_without_base),
            item("referral", str(uuid.uuid4()), 1, ex.referral() | {"person_id": person["id"]}),
        ],
    )
    assert [a["status"] for a in answers] == [
        "accepted",
        "accepted",
        "rejected",
        "rejected",
        "rejected",
        "accepted",
    ]
    assert [a.get("code") for a in answers[2:5]] == ["exam_not_signed", "bad_exam", "bad_exam"]
    again = store.push(device, [item("exam", exam["id"], 1, exam)])  # same version, new item id
    assert again[0]["status"] == "accepted"
    stats = store.stats()
    assert stats["items_per_kind"] == {"doctor_key": 1, "person": 1, "exam": 2, "referral": 1}
    assert stats["fhir"] == queue_figures(pending=1, sent=0)  # queued once per version


def test_forwarded_once_even_when_forwarded_twice(store, device, medplum):
    fhir = FhirClient(medplum.url)
    person = unique_person()
    exam = ex.exam_document(person["id"], diagnoses=ex.hypertension(), referrals=[ex.referral()])
    push_person_and_exam(store, device, person, exam)
    forwarder = Forwarder(store, fhir, config=NOW_CONFIG)
    report = forwarder.run_once()
    assert (report.sent, report.parked, report.retried) == (1, 0, 0)
    assert store.stats()["fhir"]["sent"] == 1
    first = held(fhir, exam)
    # height, weight, BMI, BP, pulse, health class, vision right and left
    assert first == {"Observation": 8, "Condition": 1, "ServiceRequest": 1, "Composition": 1}
    # The same row forwarded a second time (as after a crash between the server's answer and our commit).
    with store.session(write=True) as s:
        s.execute(update(FhirForward).values(state="pending"))
    assert forwarder.run_once().sent == 1
    assert held(fhir, exam) == first and len(encounters(fhir, exam)) == 1
    (patient,) = fhir.search("Patient", {"identifier": f"{codes.CCCD_SYSTEM}|{person['personal_id']}"})
    assert patient["name"][0]["family"] == "Nguyễn"
    fhir.close()


def test_an_amendment_through_the_hub_updates_the_record(store, device, medplum):
    fhir = FhirClient(medplum.url)
    person = unique_person()
    v1 = ex.exam_document(person["id"], diagnoses=ex.hypertension())
    push_person_and_exam(store, device, person, v1)
    v2 = ex.exam_document(
        person["id"],
        exam_id=v1["id"],
        version=2,
        amends_version=1,
        values={"height_cm": 165, "weight_kg": 58.0, "systolic": 120, "diastolic": 80, "pulse": 70},
        diagnoses=[],
    )
    assert store.push(device, [item("amendment", v1["id"], 2, v2)])[0]["status"] == "accepted"
    assert Forwarder(store, fhir, config=NOW_CONFIG).run_once().sent == 2
    (enc,) = encounters(fhir, v1)
    weights = fhir.search(
        "Observation", {"encounter": f"Encounter/{enc['id']}", "code": f"{codes.LOINC}|29463-7"}
    )
    assert [w["valueQuantity"]["value"] for w in weights] == [58.0]
    (cond,) = fhir.search("Condition", {"encounter": f"Encounter/{enc['id']}"})
    assert (
        cond["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    )  # v1's hypertension withdrawn
    assert held(fhir, v1)["Composition"] == 2
    fhir.close()


def test_a_refusal_is_parked_with_the_servers_reason_and_can_be_retried(store, device, medplum):
    person = unique_person()
    exam = ex.exam_document(person["id"], diagnoses=ex.hypertension())
    push_person_and_exam(store, device, person, exam)
    # Misconfigured: more entries per transaction than Medplum takes; it answers with an OperationOutcome.
    wrong = FhirClient(medplum.url, max_entries=50)
    report = Forwarder(store, wrong, config=NOW_CONFIG).run_once()
    assert (report.sent, report.parked) == (0, 1)
    fhir_stats = store.stats()["fhir"]
    assert (fhir_stats["pending"], fhir_stats["parked"]) == (0, 1)
    (parked,) = fhir_stats["parked_items"]
    assert parked["exam_id"] == exam["id"] and "too many entries" in parked["reason"]
    assert Forwarder(store, wrong, config=NOW_CONFIG).run_once().sent == 0  # parked stays parked
    assert store.fhir_requeue(parked["id"]) == 1
    fhir = FhirClient(medplum.url)
    assert Forwarder(store, fhir, config=NOW_CONFIG).run_once().sent == 1
    assert store.stats()["fhir"] == queue_figures(pending=0, sent=1)
    assert len(encounters(fhir, exam)) == 1
    wrong.close()
    fhir.close()


def test_a_document_that_cannot_become_a_record_is_parked(store, device):
    person = unique_person()
    exam = ex.sign(ex.exam_document(person["id"]) | {"signed_at": "không rõ"})
    push_person_and_exam(store, device, person, exam)
    client = FhirClient("http://127.0.0.1:9/fhir/R4")  # never reached
    assert Forwarder(store, client, config=NOW_CONFIG).run_once().parked == 1
    assert "Thời điểm ký" in store.stats()["fhir"]["parked_items"][0]["reason"]


def test_server_down_is_retried_not_parked_and_an_exam_needs_its_person_first(store, device, medplum):
    person = unique_person()
    exam = ex.exam_document(person["id"])
    early = item("exam", exam["id"], 1, exam)
    (answer,) = store.push(device, [early])  # the person's item has not arrived yet: nothing is queued
    assert answer["status"] == "rejected" and answer["code"] == "unknown_person"
    fhir = FhirClient(medplum.url)
    report = Forwarder(store, fhir, config=NOW_CONFIG).run_once()
    assert report.sent == report.retried == 0 and WAITING_FOR_PERSON not in report.errors
    store.push(device, [item("person", person["id"], 1, person), consent(person["id"])])
    assert store.push(device, [early])[0]["status"] == "accepted"  # the same item, re-queued by a person
    down = FhirClient("http://127.0.0.1:9/fhir/R4", timeout=(1.0, 1.0))  # nothing listens on port 9
    for _round in range(2):  # down twice: each round is one more attempt, never a parking
        report = Forwarder(store, down, config=NOW_CONFIG).run_once()
        assert report.retried >= 1 and report.sent == 0 and report.parked == 0
    with store.session() as s:
        row = s.query(FhirForward).one()
        assert row.state == "pending" and row.attempts >= 2 and "kết nối" in row.last_error
    assert Forwarder(store, fhir, config=NOW_CONFIG).run_once().sent == 1
    assert len(encounters(fhir, exam)) == 1
    fhir.close()
    down.close()


def test_hub_stats_json_shows_the_fhir_queue(store, device, tmp_path):
    from conftest import run_ksk

    person = unique_person()
    push_person_and_exam(store, device, person, ex.exam_document(person["id"]))
    out = run_ksk("hub", "stats", "--db", store.url, "--json", data_dir=tmp_path / "none")
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout)
    assert stats["fhir"] == queue_figures(pending=1, sent=0)
    assert stats["items_per_kind"]["exam"] == 1
    bad = run_ksk("hub", "fhir-retry", "--db", store.url, "--id", "99", data_dir=tmp_path / "none")
    assert bad.returncode != 0 and bad.stderr.startswith("Lỗi:")


def test_an_exam_waits_for_the_persons_consent_to_the_health_record(store, device, medplum):
    """Luật 91/2025: nothing reaches the health record without consent; the consent's arrival releases the exam,
    a withdrawal stops the exams not sent yet."""
    person, other = unique_person(), unique_person()
    first, others = ex.exam_document(person["id"]), ex.exam_document(other["id"])
    store.push(
        device,
        [
            item("person", person["id"], 1, person),
            item("exam", first["id"], 1, first),
            item("person", other["id"], 1, other),
            item("exam", others["id"], 1, others),
        ],
    )
    fhir = FhirClient(medplum.url)
    report = Forwarder(store, fhir, config=NOW_CONFIG).run_once()
    assert (report.sent, report.waiting) == (0, 2) and encounters(fhir, first) == []
    assert store.stats()["fhir"]["waiting"] == 2
    assert Forwarder(store, fhir, config=NOW_CONFIG).run_once().sent == 0  # waiting rows are not retried
    given = consent(person["id"])
    store.push(device, [given])
    assert Forwarder(store, fhir, config=NOW_CONFIG).run_once().sent == 1  # only the person who consented
    assert len(encounters(fhir, first)) == 1 and encounters(fhir, others) == []
    assert store.stats()["fhir"]["waiting"] == 1
    # Withdrawn (version 2 of the same consent): the next exam waits again.
    store.push(device, [consent(person["id"], active=False, version=2, consent_id=given["entity_id"])])
    second = ex.exam_document(person["id"])
    store.push(device, [item("exam", second["id"], 1, second)])
    report = Forwarder(store, fhir, config=NOW_CONFIG).run_once()
    assert (report.sent, report.waiting) == (0, 1) and encounters(fhir, second) == []
    fhir.close()


def test_the_personal_id_system_must_be_a_uri(tmp_path):
    from conftest import run_ksk

    bad = run_ksk(
        "hub",
        "serve",
        "--db",
        str(tmp_path / "x.db"),
        "--fhir-url",
        "http://127.0.0.1:9/fhir/R4",
        "--fhir-personal-id-system",
        "số CCCD",
        data_dir=tmp_path,
    )
    assert bad.returncode != 0 and "--fhir-personal-id-system" in bad.stderr
    assert not (tmp_path / "x.db").exists()  # refused before anything started

"""End to end with real processes on loopback: a station's signed exams go out with ``ksk sync run --once`` to
the hub (``ksk hub serve --fhir-url``), which forwards them to Medplum's FHIR engine. The FHIR server must hold
each exam exactly once, also when the hub is SIGKILLed in the middle of forwarding and started again.

Most exams here are queued in the station's outbox directly (kind "exam", a signed document in the shared
shape) so that many people can be made quickly; one test signs and amends an exam through the real exams core
(``ksk_desktop.exams``) to hold the bundle to what the core really produces."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date

from sqlalchemy import select
from test_fhir_forward import queue_figures
from testkit import fhir_examples as ex
from testkit.faultproxy import FaultProxy
from testkit.hubproc import HubProcess
from testkit.stations import add_people, enroll
from testkit.waiting import wait_until

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop import outbox
from ksk_desktop.db.models import Person
from ksk_desktop.people import consent, persons
from ksk_desktop.station.lifecycle import login
from sync.fhir import codes
from sync.fhir.client import FhirClient
from sync.hub import doctor_keys
from sync.hub.store import HubStore


def queue_signed_exams(ctx, n: int) -> tuple[list[dict], list[dict]]:
    """*n* new people, their consent to the health record and one signed exam each in the outbox (people first,
    as the station would send them)."""
    add_people(ctx, n, seed=hash(ctx.paths.root) % 10_000)
    with ctx.read() as s:
        ids = list(s.scalars(select(Person.id).order_by(Person.id)).all())
    for person_id in ids:
        consent.record(ctx, person_id, "ehr_share")
    with ctx.write() as s:
        people = [persons.to_json(p) for p in s.scalars(select(Person).order_by(Person.id)).all()]
        registration = ex.doctor_key_registration(STATION)  # the doctor's key goes out before the exams
        outbox.enqueue(s, "doctor_key", registration["key_id"], registration, 1)
        exams = []
        for i, person in enumerate(people):
            exam = ex.exam_document(
                person["id"],
                form="elderly" if i % 2 else "adult",
                diagnoses=ex.hypertension() if i % 2 else [],
                referrals=[ex.referral()],
                station_code=STATION,
            )
            outbox.enqueue(s, "exam", exam["id"], exam, 1)
            exams.append(exam)
    return people, exams


STATION = "TYT-TEST"  # conftest's station
PID_SYSTEM = (
    "http://fhir.ehealth.gov.vn/core/sid/cccd"  # not the default: ksk hub serve --fhir-personal-id-system
)


def approve_keys(db_url: str, key_ids: list[str]) -> None:
    """The hub's administrator approves the station's doctors' keys (before they arrive)."""
    store = HubStore(db_url)
    try:
        with store.session(write=True) as s:
            for key_id in key_ids:
                doctor_keys.approve(s, key_id, STATION, store.clock())
    finally:
        store.close()


def sync_once(paths) -> dict:
    out = run_ksk(
        "sync", "run", "--once", "--user", ADMIN, "--json", data_dir=paths.root, password=ADMIN_PASSWORD
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["report"]


def fhir_stats(db_url: str) -> dict:
    store = HubStore(db_url)
    try:
        return store.stats()["fhir"]
    finally:
        store.close()


def wait_sent(db_url: str, n: int, timeout: float = 90.0) -> dict:
    """The forward queue's figures once *n* exams were sent (or one was parked)."""
    return wait_until(
        lambda: fhir_stats(db_url),
        lambda stats: stats["sent"] >= n or stats["parked"],
        timeout=timeout,
        interval=0.1,
        what=f"{n} exams sent to FHIR",
    )


def assert_held_once(fhir: FhirClient, people: list[dict], exams: list[dict]) -> None:
    for person, exam in zip(people, exams, strict=True):
        patients = fhir.search("Patient", {"identifier": f"{codes.CCCD_SYSTEM}|{person['personal_id']}"})
        assert len(patients) == 1, person["personal_id"]
        ident = codes.uuid_identifier(exam["id"])
        (enc,) = fhir.search("Encounter", {"identifier": f"{ident['system']}|{ident['value']}"})
        assert enc["subject"]["reference"] == f"Patient/{patients[0]['id']}"
        counts = {
            kind: len(fhir.search(kind, {"encounter": f"Encounter/{enc['id']}"}))
            for kind in ("Observation", "Condition", "ServiceRequest", "Composition")
        }
        # height, weight, BMI, BP, pulse, health class (+ vision right and left in the adult examples)
        wanted_obs = 8 if exam["form"] == "adult" else 6
        assert counts == {
            "Observation": wanted_obs,
            "Condition": len(exam["diagnoses"]),
            "ServiceRequest": 1,
            "Composition": 1,
        }, counts


@contextmanager
def synced_through_hub(ctx, tmp_path, fhir_url: str, keys: list[str], extra: tuple[str, ...] = ()):
    """A hub forwarding to *fhir_url* whose administrator approved the doctors' *keys*; the station enrols, closes
    its session and syncs once. Yields (hub db, report)."""
    db = tmp_path / "hub.db"
    db_url = f"sqlite:///{db}"
    with HubProcess(db, extra=["--fhir-url", fhir_url, "--fhir-retry-s", "0.2", *extra]) as hub:
        enroll(ctx, db_url, hub.url)
        approve_keys(db_url, keys)
        ctx.close()
        yield db_url, sync_once(ctx.paths)


def test_station_sync_reaches_the_fhir_server_once(admin_session, medplum, tmp_path):
    ctx = admin_session
    people, exams = queue_signed_exams(ctx, 2)
    with synced_through_hub(ctx, tmp_path, medplum.url, [ex.doctor_key_id(STATION)]) as (db_url, report):
        # + consents, + the doctor's key
        assert report["accepted"] == 2 * len(people) + len(exams) + 1 and report["rejected"] == 0
        assert wait_sent(db_url, 2) == queue_figures(pending=0, sent=2)
        # The station sends the same signed exam again under a new item id (a re-queue): accepted, not re-forwarded.
        again = login(ctx.paths, ADMIN, ADMIN_PASSWORD, record=False)
        with again.write() as s:
            outbox.enqueue(s, "exam", exams[0]["id"], exams[0], 1)
        again.close()
        assert sync_once(ctx.paths)["accepted"] == 1
        # Queued or not is decided in the push's transaction: a second forward would show as pending (or sent).
        assert fhir_stats(db_url) == queue_figures(pending=0, sent=2)
    fhir = FhirClient(medplum.url)
    assert_held_once(fhir, people, exams)
    fhir.close()


def test_hub_killed_mid_forward_and_restarted_still_once(admin_session, medplum, tmp_path):
    ctx = admin_session
    people, exams = queue_signed_exams(ctx, 3)
    db = tmp_path / "hub.db"
    db_url = f"sqlite:///{db}"
    # Half a second on every FHIR request: each exam is two transactions, so the kill lands mid-forward.
    with FaultProxy(("127.0.0.1", medplum.port), fail_rate=0.0, latency_s=0.5) as proxy:
        extra = ["--fhir-url", f"{proxy.url}/fhir/R4", "--fhir-retry-s", "0.2"]
        hub = HubProcess(db, extra=extra).start()
        try:
            enroll(ctx, db_url, hub.url)
            approve_keys(db_url, [ex.doctor_key_id(STATION)])
            ctx.close()
            # + consents, + the doctor's key
            assert sync_once(ctx.paths)["accepted"] == 2 * len(people) + len(exams) + 1
            # The first transaction has gone through, the second is on its way.
            wait_until(lambda: sum(proxy.stats.values()), lambda n: n >= 2, what="two FHIR requests")
            hub.kill()  # SIGKILL: no clean shutdown of the forwarder
        finally:
            hub.stop()
        before = fhir_stats(db_url)
        assert before["pending"] >= 1 and before["sent"] < len(exams), before  # really killed mid-forward
        requests_before = sum(proxy.stats.values())
        with HubProcess(db, extra=extra):
            after = wait_sent(db_url, len(exams))
        assert after == queue_figures(pending=0, sent=len(exams))
        assert sum(proxy.stats.values()) > requests_before
    fhir = FhirClient(medplum.url)
    assert_held_once(fhir, people, exams)
    fhir.close()


def test_an_exam_signed_and_amended_by_the_exams_core_reaches_fhir(admin_session, medplum, tmp_path):
    """Also: the Patient the city's record system already holds (insurance number, phone) keeps all of it, under the
    personal-ID system the hub is configured with; the signing doctor is a Practitioner with the licence number."""
    from exam_support import (
        DOCTOR,
        DOCTOR_LICENCE,
        ENT,
        EXAM_DATE,
        EYES,
        INTERNAL,
        OTHER,
        STAFF_PASSWORD,
        VITALS,
        add_staff,
        fill_adult,
        staff,
    )

    from ksk_desktop.exams import amendments, records, signing

    ctx = admin_session
    add_staff(ctx)
    person = persons.create_person(
        ctx,
        persons.PersonInput(
            full_name="Phạm Văn Đức",
            personal_id="031070004321",
            birth_date=date(1970, 3, 4),
            sex="M",
            hamlet="Thôn 1",
        ),
    )
    consent.record(ctx, person.id, "ehr_share")
    doctor = staff(ctx.paths, DOCTOR)
    exam_id = records.open_draft(doctor, person.id, exam_date=EXAM_DATE).document["id"]
    fill_adult(doctor, exam_id)
    v1 = signing.sign(doctor, exam_id, STAFF_PASSWORD)
    v2 = amendments.amend(doctor, exam_id, "Cân lại: 63 kg", {"weight_kg": 63}, password=STAFF_PASSWORD)
    doctor.close()
    assert (v1["version"], v2["version"], v2["amends_version"]) == (1, 2, 1)
    fhir = FhirClient(medplum.url)
    city = {
        "resourceType": "Patient",
        "identifier": [
            {"use": "official", "system": PID_SYSTEM, "value": "031070004321"},
            {"system": "http://fhir.hl7.org.vn/core/sid/bhyt", "value": "GD4313123456789"},
        ],
        "name": [{"use": "official", "text": "Phạm Văn Đức"}],
        "telecom": [{"system": "phone", "value": "0987654321"}],
    }
    made = fhir.http.post(
        f"{medplum.url}/Patient", json=city, headers={"Content-Type": "application/fhir+json"}
    )
    assert made.status_code == 201, made.text
    extra = ("--fhir-personal-id-system", PID_SYSTEM)
    with synced_through_hub(ctx, tmp_path, medplum.url, [v1["signer_key_id"]], extra) as (db_url, report):
        assert report["rejected"] == 0, report
        assert wait_sent(db_url, 2) == queue_figures(pending=0, sent=2)
    (patient,) = fhir.search("Patient", {"identifier": f"{PID_SYSTEM}|031070004321"})
    assert patient["id"] == made.json()["id"]  # adopted: no second Patient
    assert patient["name"][0]["text"] == "Phạm Văn Đức" and patient["gender"] == "male"
    assert {"system": "http://fhir.hl7.org.vn/core/sid/bhyt", "value": "GD4313123456789"} in patient[
        "identifier"
    ]
    assert patient["telecom"] == [{"system": "phone", "value": "0987654321"}]
    assert codes.uuid_identifier(person.id) in patient["identifier"]
    assert not fhir.search("Patient", {"identifier": f"{codes.CCCD_SYSTEM}|031070004321"})
    ident = codes.uuid_identifier(exam_id)
    (enc,) = fhir.search("Encounter", {"identifier": f"{ident['system']}|{ident['value']}"})
    weights = fhir.search(
        "Observation", {"encounter": f"Encounter/{enc['id']}", "code": f"{codes.LOINC}|29463-7"}
    )
    assert [(w["valueQuantity"]["value"], w["status"]) for w in weights] == [(63, "amended")]
    comps = fhir.search("Composition", {"encounter": f"Encounter/{enc['id']}"})
    assert sorted(c["status"] for c in comps) == ["amended", "final"]
    assert {c["attester"][0]["party"]["display"] for c in comps} == {"BS. Nguyễn Văn Minh"}
    (doctor,) = fhir.search("Practitioner", {"identifier": f"{codes.CCHN_SYSTEM}|{DOCTOR_LICENCE}"})
    assert {c["attester"][0]["party"]["reference"] for c in comps} == {f"Practitioner/{doctor['id']}"}
    # Every value the core filled in reaches the server; the organ classes are coded Observations.
    observations = fhir.search("Observation", {"encounter": f"Encounter/{enc['id']}"})
    fields = {c["code"] for o in observations for c in o["code"]["coding"] if c["system"] == codes.EXAM_FIELD}
    filled = {
        **VITALS,
        **EYES,
        **ENT,
        **INTERNAL,
        **{k: v for part in OTHER.values() for k, v in part.items()},
    }
    assert {
        k for k in filled if k not in ("height_cm", "weight_kg", "pulse", "systolic", "diastolic")
    } <= fields
    classes = {
        o["code"]["coding"][0]["code"]: o["valueCodeableConcept"]["coding"][0]
        for o in observations
        if o.get("valueCodeableConcept", {}).get("coding", [{}])[0].get("system") == codes.HEALTH_CLASS
    }
    assert classes["eyes.class"] == {
        "system": codes.HEALTH_CLASS,
        "code": "I",
        "display": "Loại I - Rất khỏe",
    }
    assert {k for k in filled if k.endswith("class")} | {"health_class"} == set(classes)
    fhir.close()

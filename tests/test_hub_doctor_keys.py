"""The hub checks every exam's signature against the doctor's key that the station registered (issue 12).

First the rules, on the hub's store (SQLite, and PostgreSQL when set up): what a registration must be, which
signatures pass, how a key waiting for approval holds or refuses exams, and how approval releases them.

Then the attack, with real processes: a real hub on loopback, the real ``ksk`` command line, the real station
file. Someone with only the receptionist's password opens the database, drops the freeze triggers, turns a
signed class IV exam into class I and re-signs it with every key they can find or make. The station itself
cannot tell (``exam verify``, ``audit verify`` and ``db check`` all pass); the hub refuses the result, and
nothing forged reaches the health record.
"""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from exam_support import DOCTOR, DOCTOR_LICENCE, EXAM_DATE, STAFF_PASSWORD, add_staff, fill_adult, staff
from sqlalchemy import select
from testkit import fhir_examples as ex
from testkit.hubdb import BACKENDS, empty_hub_db
from testkit.hubitems import person_item
from testkit.hubproc import HubProcess
from testkit.stations import enroll, register_station

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.db.engine import configure_connection, raw_connect
from ksk_desktop.exams import document, key_registration, records, signing
from ksk_desktop.people import consent, persons
from ksk_desktop.security import sealing
from ksk_desktop.security.keystore import KeyStore
from ksk_desktop.security.signer import key_id_of, public_raw
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login
from sync.hub import doctor_keys, limits
from sync.hub.models import FhirForward
from sync.hub.store import HubStore

STATION, COMMUNE = "TYT-KT", "11680"
OTHER_STATION, OTHER_COMMUNE = "TYT-KHAC", "10507"


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    hub = HubStore(empty_hub_db(request.param, tmp_path))
    yield hub
    hub.close()


def device(store, station: str = STATION, commune: str = COMMUNE):
    register_station(store, station, commune)  # the hub administrator registers the station first
    code = store.new_enroll_code(station)
    _device_id, token = store.enroll(code, station, str(uuid.uuid4()), commune)
    return store.authenticate(token)


def item(kind: str, payload: dict, entity_id: str | None = None) -> dict:
    return {
        "item_id": str(uuid.uuid4()),
        "kind": kind,
        "entity_id": entity_id or payload.get("key_id") or payload["id"],
        "entity_version": payload.get("version", 1) if kind != "doctor_key" else 1,
        "payload": payload,
    }


def answer(store, dev, *items: dict) -> list[tuple[str, str | None]]:
    return [(a["status"], a.get("code")) for a in store.push(dev, list(items))]


def person_of(store, dev, commune: str = COMMUNE) -> str:
    """A person of the device's station, sent to the hub (it takes exams only for the station's own people)."""
    person = person_item(commune=commune)
    assert answer(store, dev, person) == [("accepted", None)]
    return person["entity_id"]


def registration(
    private: Ed25519PrivateKey,
    station: str = STATION,
    username: str = "bacsi",
    licence: str | None = "000321/HP-CCHN",
    **extra,
) -> dict:
    return key_registration.build(
        public_raw=public_raw(private),
        station_code=station,
        username=username,
        full_name="BS. Trần Văn Minh",
        licence_no=licence,
        created_at="2026-11-01T00:00:00Z",
        sign=private.sign,
        **extra,
    )


def signed_by(doc: dict, private: Ed25519PrivateKey, username: str = "bacsi") -> dict:
    doc = dict(doc, signed_by=username, signer_key_id=key_id_of(public_raw(private)), signature=None)
    doc["signature"] = base64.b64encode(private.sign(document.signed_bytes(doc))).decode()
    return doc


def queue(store) -> dict[str, str]:
    with store.session() as s:
        return {r.exam_id: r.state for r in s.scalars(select(FhirForward))}


def test_a_registration_must_be_whole_and_proven(store):
    dev = device(store)
    key = Ed25519PrivateKey.generate()
    good = registration(key)
    forged_proof = dict(good, full_name="BS. Người Khác")  # changed after it was signed
    other_key = registration(Ed25519PrivateKey.generate()) | {"public_key": good["public_key"]}
    assert answer(
        store,
        dev,
        item("doctor_key", good, entity_id="f" * 32),  # the entity is not the key
        item("doctor_key", forged_proof),
        item("doctor_key", other_key, entity_id=other_key["key_id"]),
        item("doctor_key", registration(key, station=OTHER_STATION)),
        item("doctor_key", registration(key, licence=None)),
        item("doctor_key", good),
        item("doctor_key", good),  # the same registration again: nothing changes
        item("doctor_key", dict(good) | {"username": "bacsi2"}),
    ) == [
        ("rejected", "bad_doctor_key"),
        ("rejected", "bad_doctor_key"),
        ("rejected", "bad_doctor_key"),
        ("rejected", "bad_doctor_key"),
        ("rejected", "bad_doctor_key"),
        ("accepted", None),
        ("accepted", None),
        ("rejected", "bad_doctor_key"),  # its proof no longer holds
    ]
    # The same key from another station: refused, and that station's exams signed with it are refused too.
    other = device(store, OTHER_STATION, OTHER_COMMUNE)
    assert answer(store, other, item("doctor_key", registration(key, station=OTHER_STATION))) == [
        ("rejected", "doctor_key_other_station")
    ]
    exam = signed_by(ex.exam_document(person_of(store, other, OTHER_COMMUNE)), key)  # its own person
    assert answer(store, other, item("exam", exam)) == [("rejected", "foreign_signer_key")]


def test_only_a_valid_signature_by_the_doctors_registered_key_is_accepted(store):
    dev = device(store)
    pid = person_of(store, dev)
    key, stranger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    with store.session(write=True) as s:
        doctor_keys.approve(
            s, key_id_of(public_raw(key)), STATION, store.clock()
        )  # approved before it arrives
    assert answer(store, dev, item("doctor_key", registration(key))) == [("accepted", None)]
    good = signed_by(ex.exam_document(pid), key)
    tampered = dict(good, health_class=1)
    unsigned = dict(signed_by(ex.exam_document(pid), key), signature="AAAA")
    other_doctor = signed_by(ex.exam_document(pid), key, username="bacsi2")
    unknown = signed_by(ex.exam_document(pid), stranger)
    no_key = dict(ex.exam_document(pid), signer_key_id=None)
    assert answer(
        store,
        dev,
        item("exam", tampered),
        item("exam", unsigned),
        item("exam", other_doctor),
        item("exam", unknown),
        item("exam", no_key),
        item("exam", good),
    ) == [
        ("rejected", "bad_signature"),
        ("rejected", "bad_signature"),
        ("rejected", "signer_mismatch"),
        ("rejected", "unknown_signer_key"),
        ("rejected", "unsigned_exam"),
        ("accepted", None),
    ]
    assert queue(store) == {good["id"]: "pending"}  # only the good one is on its way to FHIR
    amendment = signed_by(
        ex.exam_document(good["person_id"], exam_id=good["id"], version=2, amends_version=1), key
    )
    assert answer(store, dev, item("amendment", dict(amendment, health_class=5))) == [
        ("rejected", "bad_signature")
    ]
    assert answer(store, dev, item("amendment", amendment)) == [("accepted", None)]


def test_a_new_doctors_exams_wait_for_approval_a_replacement_key_is_refused_until_then(store):
    dev = device(store)
    pid = person_of(store, dev)
    first, replacement, newcomer = (Ed25519PrivateKey.generate() for _ in range(3))
    answers = store.push(dev, [item("doctor_key", registration(first))])
    assert answers[0]["status"] == "accepted" and "chờ quản trị" in answers[0]["warning"]
    held = signed_by(ex.exam_document(pid), first)
    (a,) = store.push(dev, [item("exam", held)])
    assert a["status"] == "accepted" and "chưa chuyển lên hồ sơ sức khỏe" in a["warning"]
    assert queue(store) == {held["id"]: doctor_keys.HELD}
    assert store.stats()["fhir"]["held"] == 1
    with store.session(write=True) as s:
        result = doctor_keys.approve(s, key_id_of(public_raw(first)), None, store.clock())
    assert result["released"] == 1 and queue(store) == {held["id"]: "pending"}
    # The same doctor with another key (a reset, or someone else's key in their name): refused until approved.
    assert answer(store, dev, item("doctor_key", registration(replacement, licence="000321/HP-CCHN"))) == [
        ("accepted", None)
    ]
    again = signed_by(ex.exam_document(pid), replacement)
    (refused,) = store.push(dev, [item("exam", again)])
    assert (refused["status"], refused["code"]) == ("rejected", "signer_key_pending")
    assert "giả chữ ký" in refused["reason"]
    # Same licence number under another user name: the same doctor.
    store.push(dev, [item("doctor_key", registration(newcomer, username="bacsi.moi"))])
    renamed = signed_by(ex.exam_document(pid), newcomer, username="bacsi.moi")
    assert answer(store, dev, item("exam", renamed)) == [("rejected", "signer_key_pending")]
    with store.session(write=True) as s:
        doctor_keys.approve(s, key_id_of(public_raw(replacement)), STATION, store.clock())
        with pytest.raises(ValueError, match="trạm"):
            doctor_keys.approve(s, key_id_of(public_raw(newcomer)), OTHER_STATION, store.clock())
        with pytest.raises(ValueError, match="mã trạm"):
            doctor_keys.approve(s, "0" * 32, None, store.clock())
        with pytest.raises(ValueError, match="chưa được đăng ký ở máy chủ"):  # not in the hub's registry
            doctor_keys.approve(s, "0" * 32, "TYT-CHUA-CO", store.clock())
    assert answer(store, dev, item("exam", again)) == [("accepted", None)]  # sent again once approved
    with store.session() as s:
        listed = {k["key_id"]: k for k in doctor_keys.list_keys(s, STATION)}
        pending = doctor_keys.list_keys(s, pending=True)
    assert [k["key_id"] for k in pending] == [key_id_of(public_raw(newcomer))]
    assert (
        listed[key_id_of(public_raw(first))]["approved_at"]
        and listed[pending[0]["key_id"]]["username"] == "bacsi.moi"
    )


def test_an_old_keys_registration_listing_the_most_unsent_exams_fits_the_hubs_limits(store):
    """An upgraded station's old key lists every exam it signed that was not sent yet: up to MAX_LEGACY_EXAMS
    entries, some 3 MB — over the exams' own payload limit, within the doctor_key one (and a push's body)."""
    dev = device(store)
    key = Ed25519PrivateKey.generate()
    entries = [
        key_registration.exam_entry(str(uuid.uuid4()), 1, base64.b64encode(bytes(64)).decode())
        for _ in range(doctor_keys.MAX_LEGACY_EXAMS)
    ]
    biggest = registration(key, licence=None, legacy_exams=entries)
    size = len(json.dumps(biggest, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())
    assert limits.PAYLOAD_MAX["exam"] < size <= limits.PAYLOAD_MAX["doctor_key"] < limits.MAX_BODY
    too_many = registration(
        Ed25519PrivateKey.generate(), licence=None, legacy_exams=[*entries, entries[0]]
    )  # one more than the most
    assert answer(store, dev, item("doctor_key", biggest), item("doctor_key", too_many)) == [
        ("accepted", None),
        ("rejected", "bad_doctor_key"),
    ]
    with store.session() as s:
        (listed,) = doctor_keys.list_keys(s, STATION)
    assert listed["legacy_exams"] == doctor_keys.MAX_LEGACY_EXAMS


# -- the attack, with real processes ----------------------------------------------------------------------------
RECEPTION, RECEPTION_PASSWORD = "letan", "Le-tan-2026x"


def ksk(paths, *args: str, user: str = ADMIN, password: str = ADMIN_PASSWORD) -> dict | list:
    out = run_ksk(*args, "--user", user, "--json", data_dir=paths.root, password=password)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def hub_ksk(db_url: str, *args: str, tmp_path) -> dict | list:
    out = run_ksk("hub", *args, "--db", db_url, "--json", data_dir=tmp_path / "hub-admin")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def sync(paths) -> dict:
    return ksk(paths, "sync", "run", "--once")["report"]


def parked_reasons(paths) -> dict[str, str]:
    return {r["entity_id"]: r["reason"] for r in ksk(paths, "sync", "parked")}


class Attacker:
    """Someone who knows only the receptionist's password, working on the station file directly."""

    def __init__(self, paths) -> None:
        self.paths = paths
        self.key = KeyStore.load(paths.keys).unwrap_with_password(RECEPTION, RECEPTION_PASSWORD)

    def sql(self, statement: str, params: tuple = ()) -> list:
        conn = raw_connect(self.paths.db, self.key)
        configure_connection(conn)
        try:
            rows = conn.execute(statement, params).fetchall()
            conn.commit()
            return rows
        finally:
            conn.close()

    def usable_private_keys(self) -> list[bytes]:
        """Every private key the database gives up to what this person knows (their password, the database key)."""
        found = []
        station_id = KeyStore.load(self.paths.keys).station_id
        rows = self.sql("SELECT key_id, username, wrapped_private_key FROM exam_signing_key")
        assert rows
        for key_id, username, wrapped in rows:
            blob = json.loads(wrapped)
            aad = f"ksk-signing-key|{station_id}|{key_id}|{username}".encode()
            for secret in (RECEPTION_PASSWORD.encode(), self.key, self.key.hex().encode()):
                raw = sealing.unseal(blob, secret, aad)
                if raw is not None:
                    found.append(raw)
        return found

    def rewrite_exam(self, doc: dict) -> None:
        """The stored version and the outbox item both say what *doc* says; the item goes out again, last. The
        freeze triggers are dropped for it and put back afterwards, as they were."""
        triggers = self.sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'exam_version'"
        )
        assert len(triggers) == 2
        for name, _sql in triggers:
            self.sql(f"DROP TRIGGER {name}")
        self.sql(
            "UPDATE exam_version SET document = ?, health_class = ?, signer_key_id = ?, signature = ? "
            "WHERE exam_id = ? AND version = 1",
            (document.dumps(doc), doc["health_class"], doc["signer_key_id"], doc["signature"], doc["id"]),
        )
        (top,) = self.sql("SELECT max(seq) FROM outbox")[0]
        self.sql(
            "UPDATE outbox SET payload = ?, state = 'pending', last_error = NULL, seq = ? "
            "WHERE kind = 'exam' AND entity_id = ?",
            (json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")), top + 1, doc["id"]),
        )
        for _name, sql in triggers:
            self.sql(sql)

    def plant_key(self, private: Ed25519PrivateKey, username: str, licence: str, *, register: bool) -> None:
        """A key of their own in the doctors' key table (so the station verifies what it signs), and, if
        *register*, its registration at the hub in the outbox."""
        raw = public_raw(private)
        self.sql(
            "INSERT INTO exam_signing_key (key_id, username, full_name, licence_no, public_key, holder, "
            "created_at, active) VALUES (?, ?, 'BS. Nguyễn Văn Minh', ?, ?, 'none', '2026-11-20 00:00:00', 0)",
            (key_id_of(raw), username, licence, base64.b64encode(raw).decode()),
        )
        if register:
            reg = key_registration.build(
                public_raw=raw,
                station_code="TYT-TEST",
                username=username,
                full_name="BS. Nguyễn Văn Minh",
                licence_no=licence,
                created_at="2026-11-20T00:00:00Z",
                sign=private.sign,
            )
            self.sql(
                "INSERT INTO outbox (item_id, kind, entity_id, entity_version, payload, created_at, state, "
                "attempts) VALUES (?, 'doctor_key', ?, 1, ?, '2026-11-20 00:00:00', 'pending', 0)",
                (str(uuid.uuid4()), reg["key_id"], json.dumps(reg)),
            )


def test_a_forged_exam_from_a_tampered_station_file_is_refused_by_the_hub(station, admin_session, tmp_path):
    paths, _ = station
    admin = admin_session
    add_staff(admin)
    users.add_user(admin, RECEPTION, "reception", RECEPTION_PASSWORD, "ĐD. Lễ Tân")
    people = [
        persons.create_person(
            admin,
            persons.PersonInput(
                full_name=name,
                personal_id=pid,
                birth_date=EXAM_DATE.replace(year=1970),
                sex="M",
                hamlet="Thôn 1",
            ),
        ).id
        for name, pid in (("Phạm Văn Một", "031070000001"), ("Phạm Văn Hai", "031070000002"))
    ]
    for person_id in people:
        consent.record(admin, person_id, "ehr_share")
    doctor = staff(paths, DOCTOR)
    try:
        exam_a = records.open_draft(doctor, people[0], exam_date=EXAM_DATE).document["id"]
        fill_adult(doctor, exam_a)
        signed_a = signing.sign(doctor, exam_a, STAFF_PASSWORD)
    finally:
        doctor.close()
    db = tmp_path / "hub.db"
    db_url = f"sqlite:///{db}"
    with HubProcess(db) as hub:
        enroll(admin, db_url, hub.url)
        admin.close()
        report = sync(paths)
        assert report["rejected"] == 0 and any("chờ quản trị" in w for w in report["warnings"]), report
        # The hub's administrator checks the doctor's name and licence number, then approves the key.
        (pending,) = hub_ksk(db_url, "doctor-key", "list", "--pending", tmp_path=tmp_path)
        assert (pending["key_id"], pending["full_name"], pending["licence_no"]) == (
            signed_a["signer_key_id"],
            "BS. Nguyễn Văn Minh",
            DOCTOR_LICENCE,
        )
        approved = hub_ksk(db_url, "doctor-key", "approve", pending["key_id"], tmp_path=tmp_path)
        assert approved["released"] == 1  # exam A was held until then

        # The doctor signs exam B: class IV. It has not been sent yet when the attacker comes.
        doctor = staff(paths, DOCTOR)
        try:
            exam_b = records.open_draft(doctor, people[1], exam_date=EXAM_DATE).document["id"]
            fill_adult(doctor, exam_b)
            st = records.load(doctor, exam_b)
            records.save_section(
                doctor,
                exam_b,
                "internal",
                {"internal.circulation_class": 4},
                expected_version=st.section_versions["internal"],
            )
            signed_b = signing.sign(doctor, exam_b, STAFF_PASSWORD)
        finally:
            doctor.close()
        assert signed_b["health_class"] == 4

        attacker = Attacker(paths)
        assert attacker.usable_private_keys() == []  # the doctor's key does not open with what they know
        forged = dict(signed_b, health_class=1)
        forged["values"] = dict(signed_b["values"], **{"internal.circulation_class": 1})

        # 1. Class I under the doctor's own signature: the signature no longer matches.
        attacker.rewrite_exam(forged)
        assert sync(paths)["rejected"] == 1
        assert "đã bị sửa sau khi ký" in parked_reasons(paths)[exam_b]

        # 2. Re-signed with a key of their own, planted in the station's key table: the station is fooled...
        own = Ed25519PrivateKey.generate()
        attacker.plant_key(own, DOCTOR, DOCTOR_LICENCE, register=False)
        attacker.rewrite_exam(signed_by(forged, own, DOCTOR))
        qr = signing.verify_qr_text(signed_by(forged, own, DOCTOR))
        assert ksk(paths, "exam", "verify", qr, user=RECEPTION, password=RECEPTION_PASSWORD)["valid"] is True
        assert ksk(paths, "audit", "verify")["ok"] is True
        assert ksk(paths, "db", "check")["ok"] is True
        # ...the hub is not: it never registered that key.
        assert sync(paths)["rejected"] == 1
        assert "chưa được đăng ký ở máy chủ" in parked_reasons(paths)[exam_b]

        # 3. The same key registered at the hub in the doctor's name: the doctor already has an approved key.
        other = Ed25519PrivateKey.generate()
        attacker.plant_key(other, DOCTOR, DOCTOR_LICENCE, register=True)
        attacker.rewrite_exam(signed_by(forged, other, DOCTOR))
        assert sync(paths)["rejected"] == 1
        assert "giả chữ ký" in parked_reasons(paths)[exam_b]

        # 4. A doctor of their own making (new user name and licence): held at the hub, never forwarded.
        fake = Ed25519PrivateKey.generate()
        attacker.plant_key(fake, "bsgia", "009999/HP-CCHN", register=True)
        attacker.rewrite_exam(signed_by(forged, fake, "bsgia"))
        report = sync(paths)
        assert report["rejected"] == 0 and report["accepted"] == 2, report  # registration and exam, held

        # 5. The station's administrator resets the doctor's password and signs as the doctor: a new key,
        # refused by the hub until its administrator approves it.
        head = login(paths, ADMIN, ADMIN_PASSWORD)
        users.change_password(head, DOCTOR, "Dat-lai-2026x")
        person_c = persons.create_person(
            head,
            persons.PersonInput(full_name="Phạm Văn Ba", birth_date=EXAM_DATE.replace(year=1971), sex="M"),
        ).id
        head.close()
        as_doctor = login(paths, DOCTOR, "Dat-lai-2026x")
        try:
            exam_c = records.open_draft(as_doctor, person_c, exam_date=EXAM_DATE).document["id"]
            fill_adult(as_doctor, exam_c)
            signed_c = signing.sign(as_doctor, exam_c, "Dat-lai-2026x")
        finally:
            as_doctor.close()
        assert signed_c["signer_key_id"] != signed_a["signer_key_id"]
        assert sync(paths)["rejected"] == 1
        assert "đã có khóa ký được xác nhận" in parked_reasons(paths)[exam_c]

    # Nothing forged is on its way to the health record: exam A is, exam B only as the made-up doctor's and held.
    store = HubStore(db_url)
    try:
        assert queue(store) == {exam_a: "pending", exam_b: doctor_keys.HELD}
        with store.session() as s:
            keys_at_hub = {k["key_id"]: k for k in doctor_keys.list_keys(s)}
    finally:
        store.close()
    approved_keys = [k for k, v in keys_at_hub.items() if v["approved_at"]]
    assert approved_keys == [signed_a["signer_key_id"]]
    assert key_id_of(public_raw(own)) not in keys_at_hub
    assert {keys_at_hub[key_id_of(public_raw(k))]["username"] for k in (other, fake)} == {DOCTOR, "bsgia"}

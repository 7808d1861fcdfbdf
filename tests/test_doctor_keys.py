"""Doctors' signing keys on a real SQLCipher station: only the doctor's own password opens their key; nobody
else — another staff member, an administrator, someone holding the database key — can produce their
signature; a password change re-wraps the key, a reset retires it (old signatures still verify) and the next
signing makes a new one; the key's registration goes out ahead of the exams it signs; a station upgraded from
plaintext keys retires them and registers them at the hub only for the exams still waiting to be sent."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from alembic import command
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from exam_support import (
    DOCTOR,
    DOCTOR2,
    DOCTOR_LICENCE,
    EXAM_DATE,
    NURSE,
    STAFF_PASSWORD,
    add_person,
    add_staff,
    fill_adult,
    staff,
)
from sqlalchemy import select, text

from conftest import ADMIN, ADMIN_PASSWORD, COMMUNE, run_ksk
from ksk_desktop.db import migrate
from ksk_desktop.db.models import AuditEvent, ExamSigningKey, OutboxItem, Person
from ksk_desktop.errors import AccountLocked, AuthenticationFailed, PermissionDenied
from ksk_desktop.exams import document, key_registration, keys, records, signing
from ksk_desktop.exams.errors import SigningKeyUnavailable
from ksk_desktop.people import persons
from ksk_desktop.security import sealing
from ksk_desktop.security.signer import HOLDER_NONE, HOLDER_PASSWORD, SoftwareSigner
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login, reset_password_with_recovery

RECEPTION, RECEPTION_PASSWORD = "letan", "Le-tan-2026x"


@pytest.fixture
def clinic(station, admin_session):
    paths, recovery = station
    add_staff(admin_session)  # the doctors and the nurse share STAFF_PASSWORD: the receptionist has her own
    users.add_user(admin_session, RECEPTION, "reception", RECEPTION_PASSWORD, "ĐD. Lễ Tân")
    people = [add_person(admin_session, name=f"Người Khám {i}") for i in range(4)]
    return {"paths": paths, "recovery": recovery, "admin": admin_session, "people": people}


def draft(ctx, person_id: str) -> str:
    exam_id = records.open_draft(ctx, person_id, exam_date=EXAM_DATE).document["id"]
    fill_adult(ctx, exam_id)
    return exam_id


def key_rows(ctx) -> list[ExamSigningKey]:
    with ctx.read() as s:
        rows = list(s.scalars(select(ExamSigningKey).order_by(ExamSigningKey.created_at)))
        s.expunge_all()
    return rows


def opens_with(ctx, row: ExamSigningKey, password: str) -> bool:
    aad = f"ksk-signing-key|{ctx.keystore.station_id}|{row.key_id}|{row.username}".encode()
    return sealing.unseal(json.loads(row.wrapped_private_key), password.encode(), aad) is not None


def test_only_the_doctors_password_opens_the_key_in_the_database(clinic):
    doctor = staff(clinic["paths"], DOCTOR)
    try:
        doc = signing.sign(doctor, draft(doctor, clinic["people"][0]), STAFF_PASSWORD)
        (row,) = key_rows(doctor)
    finally:
        doctor.close()
    assert (row.key_id, row.username, row.licence_no, row.holder) == (
        doc["signer_key_id"],
        DOCTOR,
        DOCTOR_LICENCE,
        HOLDER_PASSWORD,
    )
    # What the database holds is a sealed blob: no raw key, and no other password (nor the database key) opens it.
    blob = json.loads(row.wrapped_private_key)
    assert set(blob) == {"kdf", "salt", "nonce", "wrapped", "created"} and blob["kdf"]["alg"] == "argon2id"
    admin = clinic["admin"]
    for other in (ADMIN_PASSWORD, RECEPTION_PASSWORD, admin.key.hex(), base64.b64encode(admin.key).decode()):
        assert not opens_with(admin, row, other)
    assert opens_with(admin, row, STAFF_PASSWORD)
    columns = {r[1] for r in admin.db.engine.connect().exec_driver_sql("PRAGMA table_info(exam_signing_key)")}
    assert "private_key" not in columns


def test_nobody_but_the_doctor_can_sign(clinic):
    paths = clinic["paths"]
    doctor, doctor2 = staff(paths, DOCTOR), staff(paths, DOCTOR2)
    reception = login(paths, RECEPTION, RECEPTION_PASSWORD)
    try:
        exam_id = draft(doctor, clinic["people"][0])
        for ctx, password in ((reception, RECEPTION_PASSWORD), (clinic["admin"], ADMIN_PASSWORD)):
            with pytest.raises(PermissionDenied):
                signing.sign(ctx, exam_id, password)
            with pytest.raises(PermissionDenied):
                keys.unlock(ctx, password)
        # The doctor's signer, handed to another session, does not sign there.
        signer = keys.unlock(doctor, STAFF_PASSWORD)
        with pytest.raises(PermissionDenied, match="khóa của mình"), doctor2.write() as s:
            signing.sign_row(doctor2, s, records.editable_draft(s, exam_id), signer)
        # A doctor signing with their own password signs with their own key, never another's.
        doc = signing.sign(doctor2, exam_id, STAFF_PASSWORD)
        assert doc["signed_by"] == DOCTOR2 and doc["signer_key_id"] != signer.key_id
    finally:
        for ctx in (doctor, doctor2, reception):
            ctx.close()


def test_a_wrong_password_signs_nothing_and_counts_toward_lock_out(clinic):
    doctor = staff(clinic["paths"], DOCTOR)
    try:
        signing.sign(doctor, draft(doctor, clinic["people"][0]), STAFF_PASSWORD)  # the key exists
        exam_id = draft(doctor, clinic["people"][1])
        policy = doctor.keystore.policy
        for attempt in range(1, policy.max_failures):
            with pytest.raises(AuthenticationFailed, match="phiếu chưa được ký") as err:
                signing.sign(doctor, exam_id, f"Sai-mat-khau-{attempt}")
            assert f"Còn {policy.max_failures - attempt} lần" in err.value.message
        with pytest.raises(AccountLocked):
            signing.sign(doctor, exam_id, "Sai-mat-khau-cuoi")
        with pytest.raises(AccountLocked):  # locked: not even the right password signs
            signing.sign(doctor, exam_id, STAFF_PASSWORD)
        assert records.get_exam(doctor, exam_id)["status"] == "draft"
        users.unlock(clinic["admin"], DOCTOR)
        assert signing.sign(doctor, exam_id, STAFF_PASSWORD)["status"] == "signed"
    finally:
        doctor.close()


def test_a_doctor_without_a_licence_number_gets_no_key(clinic):
    admin = clinic["admin"]
    users.add_user(admin, "bacsimoi", "doctor", "Bac-si-moi-2026", "BS. Mới")
    new = login(clinic["paths"], "bacsimoi", "Bac-si-moi-2026")
    try:
        exam_id = draft(new, clinic["people"][0])
        with pytest.raises(SigningKeyUnavailable, match="chứng chỉ hành nghề"):
            signing.sign(new, exam_id, "Bac-si-moi-2026")
        assert key_rows(new) == []
        row = users.edit_user(admin, "bacsimoi", licence_no=" 000777/hp-cchn ")
        assert row.licence_no == "000777/HP-CCHN"
        assert signing.sign(new, exam_id, "Bac-si-moi-2026")["status"] == "signed"
        assert [r.licence_no for r in key_rows(new)] == ["000777/HP-CCHN"]
    finally:
        new.close()


def test_the_registration_goes_out_before_the_first_exam_it_signs(clinic):
    doctor = staff(clinic["paths"], DOCTOR)
    try:
        doc = signing.sign(doctor, draft(doctor, clinic["people"][0]), STAFF_PASSWORD)
        signing.sign(doctor, draft(doctor, clinic["people"][1]), STAFF_PASSWORD)
        with doctor.read() as s:
            items = [
                (i.kind, i.entity_id, i.payload)
                for i in s.scalars(select(OutboxItem).order_by(OutboxItem.seq))
            ]
            created = s.scalars(select(AuditEvent).where(AuditEvent.action == "exam.key.create")).all()
    finally:
        doctor.close()
    kinds = [k for k, _e, _p in items if k in ("doctor_key", "exam")]
    assert kinds == ["doctor_key", "exam", "exam"]  # one key, registered once, ahead of its exams
    (reg,) = [json.loads(p) for k, _e, p in items if k == "doctor_key"]
    assert (reg["key_id"], reg["station_code"], reg["username"], reg["licence_no"]) == (
        doc["signer_key_id"],
        "TYT-TEST",
        DOCTOR,
        DOCTOR_LICENCE,
    )
    assert reg["full_name"] == "BS. Nguyễn Văn Minh" and reg["legacy_exams"] is None
    assert key_registration.proof_holds(reg, base64.b64decode(reg["public_key"]))
    assert not key_registration.proof_holds(
        reg | {"licence_no": "999999/HP-CCHN"}, base64.b64decode(reg["public_key"])
    )
    assert len(created) == 1 and json.loads(created[0].details) == {"username": DOCTOR}


def test_changing_ones_password_rewraps_the_same_key(clinic):
    paths = clinic["paths"]
    doctor = staff(paths, DOCTOR)
    try:
        first = signing.sign(doctor, draft(doctor, clinic["people"][0]), STAFF_PASSWORD)
        users.change_password(doctor, DOCTOR, "Mat-khau-moi-2026", STAFF_PASSWORD)
        with pytest.raises(AuthenticationFailed):
            signing.sign(doctor, draft(doctor, clinic["people"][1]), STAFF_PASSWORD)
        second = signing.sign(
            doctor, records.list_exams(doctor, status="draft")[0]["id"], "Mat-khau-moi-2026"
        )
        (row,) = key_rows(doctor)
    finally:
        doctor.close()
    assert second["signer_key_id"] == first["signer_key_id"] == row.key_id and row.active
    admin = clinic["admin"]
    assert opens_with(admin, row, "Mat-khau-moi-2026") and not opens_with(admin, row, STAFF_PASSWORD)
    assert signing.verify(admin, first["id"])["valid"]


def test_a_password_change_cut_short_is_finished_by_doing_it_again(clinic):
    """The change writes the database (the re-wrapped key) before the key slot: a crash in between leaves the
    account on the old password and the key on the new one."""
    paths = clinic["paths"]
    doctor = staff(paths, DOCTOR)
    try:
        first = signing.sign(doctor, draft(doctor, clinic["people"][0]), STAFF_PASSWORD)
        with doctor.write() as s:  # the database half of a change to "Mat-khau-moi-2026", then the "crash"
            now = doctor.clock.utcnow()
            assert keys.rewrap(
                s, doctor.keystore.station_id, DOCTOR, STAFF_PASSWORD, "Mat-khau-moi-2026", now
            )
        exam_id = draft(doctor, clinic["people"][1])
        with pytest.raises(SigningKeyUnavailable, match="đổi mật khẩu"):
            signing.sign(doctor, exam_id, STAFF_PASSWORD)  # the account's password, not the key's
        users.change_password(doctor, DOCTOR, "Mat-khau-moi-2026", STAFF_PASSWORD)
        second = signing.sign(doctor, exam_id, "Mat-khau-moi-2026")
    finally:
        doctor.close()
    assert second["signer_key_id"] == first["signer_key_id"]


@pytest.mark.parametrize("how", ["manager", "recovery_key"])
def test_a_reset_retires_the_key_and_the_next_signing_makes_a_new_one(clinic, how):
    paths = clinic["paths"]
    doctor = staff(paths, DOCTOR)
    try:
        old = signing.sign(doctor, draft(doctor, clinic["people"][0]), STAFF_PASSWORD)
        exam_id = draft(doctor, clinic["people"][1])
    finally:
        doctor.close()
    if how == "manager":
        users.change_password(clinic["admin"], DOCTOR, "Dat-lai-2026x")
    else:
        reset_password_with_recovery(paths, clinic["recovery"], DOCTOR, "Dat-lai-2026x")
    (retired,) = key_rows(clinic["admin"])
    assert (retired.active, retired.holder, retired.wrapped_private_key, retired.retired_reason) == (
        False,
        HOLDER_NONE,
        None,
        keys.RETIRED_RESET,
    )
    doctor = login(paths, DOCTOR, "Dat-lai-2026x")
    try:
        with pytest.raises(AuthenticationFailed):  # the old password opens nothing any more
            signing.sign(doctor, exam_id, STAFF_PASSWORD)
        new = signing.sign(doctor, exam_id, "Dat-lai-2026x")
        assert new["signer_key_id"] != old["signer_key_id"]
        assert signing.verify(doctor, old["id"])["valid"] and signing.verify(doctor, new["id"])["valid"]
        with doctor.read() as s:
            regs = s.scalars(select(OutboxItem.entity_id).where(OutboxItem.kind == "doctor_key")).all()
            reset = s.scalars(select(AuditEvent).where(AuditEvent.action.like("user.password%"))).all()
    finally:
        doctor.close()
    assert list(regs) == [old["signer_key_id"], new["signer_key_id"]]
    assert json.loads(reset[-1].details)["signing_keys_retired"] == [old["signer_key_id"]]


def test_cli_signs_with_the_logged_in_doctors_password_and_keeps_licences(clinic):
    paths = clinic["paths"]
    doctor = staff(paths, DOCTOR)
    try:
        exam_id = draft(doctor, clinic["people"][0])
    finally:
        doctor.close()
    out = run_ksk(
        "exam", "sign", exam_id, "--user", DOCTOR, "--json", data_dir=paths.root, password=STAFF_PASSWORD
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["status"] == "signed"
    keys_out = run_ksk(
        "exam", "keys", "--user", NURSE, "--json", data_dir=paths.root, password=STAFF_PASSWORD
    )
    (key,) = json.loads(keys_out.stdout)
    assert key["licence_no"] == DOCTOR_LICENCE and key["active"] and "private" not in json.dumps(key)
    added = run_ksk(
        "user", "add", "bacsiba", "--role", "doctor", "--full-name", "BS. Ba", "--licence", "001111/HP-CCHN",
        "--user", ADMIN, "--json", data_dir=paths.root, password=ADMIN_PASSWORD,
        env={"KSK_NEW_PASSWORD": "Bac-si-ba-2026"},
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["licence_no"] == "001111/HP-CCHN"
    edited = run_ksk(
        "user", "edit", "bacsiba", "--licence", "001112/HP-CCHN", "--user", ADMIN, "--json",
        data_dir=paths.root, password=ADMIN_PASSWORD,
    )  # fmt: skip
    assert edited.returncode == 0, edited.stderr
    listed = run_ksk("user", "list", "--user", ADMIN, "--json", data_dir=paths.root, password=ADMIN_PASSWORD)
    assert {u["username"]: u["licence_no"] for u in json.loads(listed.stdout)}["bacsiba"] == "001112/HP-CCHN"
    bad = run_ksk(
        "user",
        "edit",
        "bacsiba",
        "--licence",
        "số 12",
        "--user",
        ADMIN,
        data_dir=paths.root,
        password=ADMIN_PASSWORD,
    )
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1 and "chứng chỉ" in bad.stderr


def test_an_upgraded_station_retires_its_plaintext_keys_and_registers_them_for_unsent_exams_only(clinic):
    """A station made before keys were wrapped: its doctors' keys lay in the database as is. After the upgrade
    the key is retired (its private half erased, its public half kept), its registration lists exactly the
    exams it signed that were not sent yet and goes out before them, and the doctor's next signing makes a new
    key. At the hub, the leaked old key vouches for nothing else."""
    from testkit import fhir_examples as ex
    from testkit.stations import register_station

    from sync.hub.store import HubStore

    paths = clinic["paths"]
    doctor = staff(paths, DOCTOR)
    try:
        signed = [signing.sign(doctor, draft(doctor, p), STAFF_PASSWORD) for p in clinic["people"][:3]]
        later = draft(doctor, clinic["people"][3])
        (row,) = key_rows(doctor)
        aad = f"ksk-signing-key|{doctor.keystore.station_id}|{row.key_id}|{DOCTOR}".encode()
        raw_private = sealing.unseal(json.loads(row.wrapped_private_key), STAFF_PASSWORD.encode(), aad)
    finally:
        doctor.close()
    assert raw_private is not None
    # Back to schema 0008, the way the old app kept things: the key in the clear, no registration item, the first
    # exam already sent.
    admin = clinic["admin"]
    with admin.db.engine.connect().execution_options(ksk_write=True) as conn, conn.begin():
        cfg = migrate.alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
        conn.execute(
            text("UPDATE exam_signing_key SET private_key = :p"),
            {"p": base64.b64encode(raw_private).decode()},
        )
        conn.execute(text("DELETE FROM outbox WHERE kind = 'doctor_key'"))
        conn.execute(text("UPDATE outbox SET state = 'sent' WHERE entity_id = :e"), {"e": signed[0]["id"]})
    admin.close()

    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        (retired,) = key_rows(ctx)
        assert (retired.key_id, retired.active, retired.holder, retired.retired_reason) == (
            row.key_id,
            False,
            HOLDER_NONE,
            "legacy_unprotected",
        )
        columns = {
            r[1] for r in ctx.db.engine.connect().exec_driver_sql("PRAGMA table_info(exam_signing_key)")
        }
        assert "private_key" not in columns and "wrapped_private_key" in columns
        with ctx.read() as s:
            items = [(i.seq, i.kind, i.entity_id, i.state, i.payload) for i in s.scalars(select(OutboxItem))]
            people = [
                persons.to_json(s.get_one(Person, pid)) for pid in clinic["people"]
            ]  # as sync sends them
        by_entity = {entity: seq for seq, kind, entity, state, _p in items if kind in ("exam", "doctor_key")}
        (reg,) = [json.loads(p) for _s, kind, _e, _st, p in items if kind == "doctor_key"]
        assert reg["key_id"] == row.key_id and reg["licence_no"] is None
        assert reg["legacy_exams"] == [
            key_registration.exam_entry(d["id"], 1, d["signature"]) for d in signed[1:]
        ]  # the unsent ones, in order
        assert by_entity[row.key_id] < by_entity[signed[1]["id"]] < by_entity[signed[2]["id"]]
        assert key_registration.proof_holds(reg, base64.b64decode(reg["public_key"]))
        for d in signed:  # the old signatures still verify with the kept public key
            assert signing.verify(ctx, d["id"])["valid"]
        assert len(list(paths.backups.glob("truoc-nang-cap-0008-*.kskbak"))) == 1
    finally:
        ctx.close()
    doctor = staff(paths, DOCTOR)
    try:
        # Licence numbers are new with this upgrade: the doctor's is added before their new key can be made.
        with pytest.raises(SigningKeyUnavailable, match="chứng chỉ hành nghề"):
            signing.sign(doctor, later, STAFF_PASSWORD)
        head = login(paths, ADMIN, ADMIN_PASSWORD)
        users.edit_user(head, DOCTOR, licence_no=DOCTOR_LICENCE)
        head.close()
        fresh = signing.sign(doctor, later, STAFF_PASSWORD)
    finally:
        doctor.close()
    assert fresh["signer_key_id"] != row.key_id

    # At the hub: the registration and the two exams it lists are accepted; anything else signed with the old key
    # (whose private half anyone with a staff password could have copied) is refused.
    store = HubStore("sqlite://")
    try:
        register_station(store, "TYT-TEST", COMMUNE)  # the hub administrator registers the station first
        code = store.new_enroll_code("TYT-TEST")
        _dev, token = store.enroll(code, "TYT-TEST", str(uuid.uuid4()), COMMUNE)
        device = store.authenticate(token)

        def item(kind: str, payload: dict) -> dict:
            entity = payload.get("key_id") or payload["id"]
            return {
                "item_id": str(uuid.uuid4()),
                "kind": kind,
                "entity_id": entity,
                "entity_version": 1,
                "payload": payload,
            }

        # The people go first, as the station sends them: the hub takes exams only for its station's people.
        answers = store.push(device, [item("person", p) for p in people])
        assert [a["status"] for a in answers] == ["accepted"] * len(people), answers
        answers = store.push(device, [item("doctor_key", reg), *(item("exam", d) for d in signed[1:])])
        assert [a["status"] for a in answers] == ["accepted"] * 3, answers
        leaked = SoftwareSigner(row.key_id, DOCTOR, Ed25519PrivateKey.from_private_bytes(raw_private))
        forged = dict(signed[2], health_class=4, signature=None)
        forged["signature"] = base64.b64encode(leaked.sign(document.signed_bytes(forged))).decode()
        other = ex.exam_document(clinic["people"][3], station_code="TYT-TEST") | {"signer_key_id": row.key_id}
        other = dict(other, signed_by=DOCTOR, signature=None)
        other["signature"] = base64.b64encode(leaked.sign(document.signed_bytes(other))).decode()
        (a, b) = store.push(device, [item("exam", forged) | {"entity_id": forged["id"]}, item("exam", other)])
        assert (a["status"], a["code"]) == ("rejected", "legacy_key_not_allowed")
        assert (b["status"], b["code"]) == ("rejected", "legacy_key_not_allowed")
    finally:
        store.close()

"""The person as a FHIR Patient: one Patient per person, found by the person's stable id, and never a write that
loses what the server knows.

Matching. A Patient is looked up first by the hub's person UUID (``urn:ietf:rfc:3986`` | ``urn:uuid:<id>``, also
the ids of people merged into this one), which never changes; only when none carries it, by the personal ID
under the configured identifier system (``ksk hub serve --fhir-personal-id-system``). So a personal ID that
arrives later, or is corrected, finds the Patient made before, and a Patient the city's own system made from the
personal ID alone is adopted rather than duplicated.

Writing. When no Patient matches, the bundle's own entry creates one (conditional create, ``ifNoneExist`` on
the person UUID: a replay creates nothing). When one matches, it is read, our data is merged into it and it is
written back with ``If-Match`` on the version read (a concurrent change makes the server refuse, and the
merge is done again on the new version). The merge keeps every identifier, telecom, name, address, contact and
extension the server holds: ours are added; a corrected personal ID marks the previous one ``use: old``; a new
name or home address goes first and the previous official name or home address is kept as ``use: old``; gender
and birth date are ours when we know them (a birth year alone never replaces a full date the server holds).
When nothing would change, nothing is written.
"""

from __future__ import annotations

import copy

from sync.fhir import codes
from sync.fhir.client import FhirClient, FhirConflict, FhirUnavailable
from sync.fhir.codes import uuid_identifier

UPDATE_ATTEMPTS = 3


def resource(person: dict, personal_id_system: str) -> dict:
    """The Patient as we know it (identifiers, name with the family name first, gender, birth date, address)."""
    p = person
    identifiers = [uuid_identifier(p["id"])]
    if p.get("personal_id"):
        identifiers.insert(
            0, {"use": "official", "system": personal_id_system, "value": str(p["personal_id"])}
        )
    full_name = " ".join(str(p.get("name") or p.get("full_name") or "").split())
    words = full_name.split()
    name: dict = {"use": "official", "text": full_name}
    if words:  # Vietnamese order: family name first, then middle and given names
        name["family"] = words[0]
    if len(words) > 1:
        name["given"] = words[1:]
    res: dict = {"resourceType": "Patient", "identifier": identifiers, "name": [name]}
    if p.get("sex") in codes.SEX:
        res["gender"] = codes.SEX[p["sex"]]
    dob = p.get("dob") or p.get("birth_date")
    if dob:
        res["birthDate"] = str(dob)[:10]
    elif p.get("birth_year"):
        res["birthDate"] = f"{int(p['birth_year']):04d}"
    address = p.get("current_address") or p.get("permanent_address")
    if address:
        res["address"] = [{"use": "home", "text": address, "country": "VN"}]
    return res


def _same_identifier(a: dict, b: dict) -> bool:
    return a.get("system") == b.get("system") and a.get("value") == b.get("value")


def merge(server: dict, ours: dict, personal_id_system: str) -> dict:
    """*server*'s Patient with our data merged in, losing nothing the server holds (see the module docstring)."""
    out = copy.deepcopy(server)
    idents: list[dict] = out.get("identifier") or []
    our_pid = next((i for i in ours["identifier"] if i.get("system") == personal_id_system), None)
    if our_pid is not None:
        for ident in idents:  # a corrected personal ID: the previous one stays, as old
            if ident.get("system") == personal_id_system and ident.get("value") != our_pid["value"]:
                ident["use"] = "old"
    for ident in ours["identifier"]:
        held = next((i for i in idents if _same_identifier(i, ident)), None)
        if held is None:
            idents.append(dict(ident))
        elif ident.get("use"):
            held["use"] = ident["use"]
    out["identifier"] = idents
    for key, same in (("name", "text"), ("address", "text")):
        ours_first = (ours.get(key) or [None])[0]
        if ours_first is None:
            continue
        held_list: list[dict] = out.get(key) or []
        if not any(h.get(same) == ours_first[same] and h.get("use") == ours_first["use"] for h in held_list):
            for h in held_list:
                if h.get("use") == ours_first["use"]:
                    h["use"] = "old"
            held_list.insert(0, dict(ours_first))
        out[key] = held_list
    if ours.get("gender"):
        out["gender"] = ours["gender"]
    held_dob, our_dob = str(out.get("birthDate") or ""), ours.get("birthDate")
    if our_dob and not (held_dob.startswith(our_dob) and len(held_dob) > len(our_dob)):
        out["birthDate"] = our_dob  # but a year alone never replaces the full date the server knows
    return out


def _content(res: dict) -> dict:
    return {k: v for k, v in res.items() if k not in ("meta", "text")}


def find(client: FhirClient, person: dict, personal_id_system: str) -> dict | None:
    """The server's Patient of *person*: by the person's UUID (or a merged person's), else by personal ID."""
    ids = [person["id"], *(person.get("merged_ids") or [])]
    tokens = ",".join(f"{codes.URI_SYSTEM}|{codes.urn(i)}" for i in ids)
    found = client.search("Patient", {"identifier": tokens})
    if not found and person.get("personal_id"):
        found = client.search("Patient", {"identifier": f"{personal_id_system}|{person['personal_id']}"})
    if not found:
        return None
    return min(found, key=lambda r: ((r.get("meta") or {}).get("lastUpdated") or "", r.get("id") or ""))


def upsert(client: FhirClient, ours: dict, person: dict, personal_id_system: str) -> str | None:
    """Merge *ours* into the person's Patient on the server; ``Patient/<id>``, or None when there is none yet (the
    bundle's conditional create makes it)."""
    for _ in range(UPDATE_ATTEMPTS):
        held = find(client, person, personal_id_system)
        if held is None:
            return None
        where = f"Patient/{held['id']}"
        merged = merge(held, ours, personal_id_system)
        if _content(merged) == _content(held):
            return where
        try:
            client.update(merged, if_match=str((held.get("meta") or {}).get("versionId") or ""))
        except FhirConflict:
            continue  # changed since we read it: merge again into the new version
        return where
    raise FhirUnavailable("Hồ sơ bệnh nhân trên máy chủ FHIR đang được sửa đồng thời; sẽ thử lại.")


def send(client: FhirClient, bundle: dict, person: dict, personal_id_system: str) -> list[str]:
    """Send an exam bundle whose first entry is the Patient: an existing Patient is merged and updated first (the
    entry is then left out and references to it point at it); otherwise the entry creates it."""
    entries = bundle.get("entry") or []
    if not entries or entries[0]["resource"]["resourceType"] != "Patient":
        return client.transaction(bundle)
    first = entries[0]
    where = upsert(client, first["resource"], person, personal_id_system)
    if where is None:
        return client.transaction(bundle)
    rest = dict(bundle, entry=entries[1:])
    return [where, *client.transaction(rest, resolved={first["fullUrl"]: where})]

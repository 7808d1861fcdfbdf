"""Exam form definitions: versioned data in ``resources/forms/<form>.v<version>.json``.

A form has sections; each section is filled by one role (``vitals``: the nurse who measures, ``doctor``: a
specialty doctor, ``conclusion``: the doctor who concludes and signs). Each field has a ``key`` (its name in the
exam document's ``values``: the clinical measurement name such as ``height_cm``, or ``<section>.<field>``), a type,
a unit, a plausible range, whether it is required, the QĐ 1613 index it feeds and its MoH template code; a
laboratory field carries its QĐ 1551 service and index codes (``lab``), a coded text field the Ministry code list it
takes (``catalog``). Versions: a new version is a new file; an exam keeps the version it was opened with
(``form_version`` in its document) and is validated, printed and signed against it.
Fields marked ``document_key`` (the conclusion's class, diagnoses, conclusion, advice) are top-level keys of the
exam document rather than entries of ``values``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ksk_desktop.errors import InvalidInput
from ksk_desktop.resources import read_text, resource
from ksk_desktop.security.roles import Perm

FIELD_TYPES = ("number", "integer", "text", "bool", "choice", "class", "date", "icd10_codes", "diagnoses")
#: The permission each section role needs to save its section.
ROLE_PERMS: dict[str, Perm] = {
    "vitals": Perm.VITALS_WRITE,
    "doctor": Perm.EXAM_WRITE,
    "conclusion": Perm.EXAM_SIGN,
}
#: Form ids used elsewhere (campaign defaults) for the same forms.
ALIASES = {"adult-periodic": "adult", "child-pupil": "child"}


@dataclass(frozen=True)
class FieldDef:
    key: str
    label: str
    type: str
    section: str
    required: bool = False
    unit: str | None = None
    range: tuple[float, float] | None = None
    feeds: str | None = None
    template_code: str | None = None
    choices: tuple[str, ...] = ()
    applies_to_sex: str | None = None
    document_key: bool = False
    note: str | None = None
    #: A laboratory result's codes in the QĐ 1551 data set: ``{"service_code": MA_DICH_VU, "index_code": MA_CHI_SO}``.
    lab: dict[str, str] | None = None
    #: The Ministry code list a text field takes its code from (``ethnicity`` | ``occupation``).
    catalog: str | None = None

    def applies(self, sex: str | None) -> bool:
        return self.applies_to_sex is None or sex == self.applies_to_sex

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if v not in (None, (), False) or k == "required"}
        if self.range:
            out["range"] = list(self.range)
        if self.choices:
            out["choices"] = list(self.choices)
        return out


@dataclass(frozen=True)
class SectionDef:
    id: str
    title: str
    role: str
    fields: tuple[FieldDef, ...]
    applies_to_sex: str | None = None
    note: str | None = None

    @property
    def perm(self) -> Perm:
        return ROLE_PERMS[self.role]

    def applies(self, sex: str | None) -> bool:
        return self.applies_to_sex is None or sex == self.applies_to_sex


@dataclass(frozen=True)
class FormDef:
    form: str
    form_version: int
    title: str
    instrument: str
    physique_table: str
    sections: tuple[SectionDef, ...]
    roles: dict[str, str] = field(default_factory=dict)

    @property
    def fields(self) -> dict[str, FieldDef]:
        return {f.key: f for s in self.sections for f in s.fields}

    def section(self, section_id: str) -> SectionDef:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise InvalidInput(f"Mẫu phiếu {self.form} không có phần {section_id!r}.")

    def field(self, key: str) -> FieldDef:
        f = self.fields.get(key)
        if f is None:
            raise InvalidInput(f"Mẫu phiếu {self.form} không có trường {key!r}.")
        return f

    def section_of(self, key: str) -> SectionDef:
        return self.section(self.field(key).section)

    def to_json(self) -> dict[str, Any]:
        """The definition as the entry screen reads it (sections in order, fields in order)."""
        return {
            "form": self.form,
            "form_version": self.form_version,
            "title": self.title,
            "instrument": self.instrument,
            "physique_table": self.physique_table,
            "roles": self.roles,
            "sections": [
                {
                    "id": s.id,
                    "title": s.title,
                    "role": s.role,
                    "applies_to_sex": s.applies_to_sex,
                    "note": s.note,
                    "fields": [f.to_json() for f in s.fields],
                }
                for s in self.sections
            ],
        }


def _section(raw: dict) -> SectionDef:
    fields = []
    for f in raw["fields"]:
        if f["type"] not in FIELD_TYPES:
            raise ValueError(f"form field {f['key']}: unknown type {f['type']!r}")
        fields.append(
            FieldDef(
                key=f["key"],
                label=f["label"],
                type=f["type"],
                section=raw["id"],
                required=bool(f.get("required")),
                unit=f.get("unit"),
                range=tuple(f["range"]) if f.get("range") else None,
                feeds=f.get("feeds"),
                template_code=f.get("template_code"),
                choices=tuple(f.get("choices", ())),
                applies_to_sex=f.get("applies_to_sex"),
                document_key=bool(f.get("document_key")),
                note=f.get("note"),
                lab=dict(f["lab"]) if f.get("lab") else None,
                catalog=f.get("catalog"),
            )
        )
    if raw["role"] not in ROLE_PERMS:
        raise ValueError(f"form section {raw['id']}: unknown role {raw['role']!r}")
    return SectionDef(
        raw["id"], raw["title"], raw["role"], tuple(fields), raw.get("applies_to_sex"), raw.get("note")
    )


def _raw(form: str, version: int) -> dict:
    try:
        return json.loads(read_text("forms", f"{form}.v{version}.json"))
    except FileNotFoundError:
        raise InvalidInput(f"Không có mẫu phiếu khám {form!r} phiên bản {version}.") from None


def _sections(raw: dict) -> list[dict]:
    if "extends" not in raw:
        return list(raw["sections"])
    base = _sections(_raw(raw["extends"]["form"], raw["extends"]["form_version"]))
    out = []
    for s in base:
        out.extend(raw.get("add_sections_before", {}).get(s["id"], []))
        out.append(s)
    return out


def available() -> dict[str, list[int]]:
    """The forms shipped, with their versions: ``{"adult": [1], …}``."""
    out: dict[str, list[int]] = {}
    for entry in resource("forms").iterdir():
        name = entry.name
        if name.endswith(".json") and ".v" in name:
            form, _, version = name[: -len(".json")].rpartition(".v")
            out.setdefault(form, []).append(int(version))
    return {k: sorted(v) for k, v in sorted(out.items())}


def canonical_form_id(form: str) -> str:
    form = (form or "").strip().lower()
    form = ALIASES.get(form, form)
    if form not in available():
        raise InvalidInput(f"Mẫu phiếu khám {form!r} không có: chọn adult, child hoặc elderly.")
    return form


@cache
def load_form(form: str, version: int | None = None) -> FormDef:
    """The form definition *form* at *version* (the newest when None)."""
    form = canonical_form_id(form)
    version = version or available()[form][-1]
    raw = _raw(form, version)
    sections = tuple(_section(s) for s in _sections(raw))
    keys = [f.key for s in sections for f in s.fields]
    if len(keys) != len(set(keys)):
        raise ValueError(f"form {form} v{version}: duplicate field keys")
    return FormDef(
        raw["form"],
        raw["form_version"],
        raw["title"],
        raw["instrument"],
        raw["physique_table"],
        sections,
        raw.get("roles", {}),
    )


@cache
def moh_template() -> dict[str, dict]:
    """MoH template codes that come from the person, station, exam or a computation (not a form field)."""
    return json.loads(read_text("forms", "moh-template.json"))["derived"]


def default_form(age_years: int | None) -> str:
    """The form for a person of this age when no campaign says otherwise."""
    if age_years is not None and age_years < 18:
        return "child"
    if age_years is not None and age_years >= 60:
        return "elderly"
    return "adult"

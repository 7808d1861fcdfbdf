"""QĐ 1613/BYT-QĐ health classes: a class I–V per measured criterion, per index (Phụ lục 2), and overall.

Each criterion reads its bands from ``resources/classification/qd1613.json``. The overall class is the worst of
the 13 indices (III.3.3); most indices hold clinical criteria that no measurement gives, so an index computed
here from its measured criteria alone is marked ``partial`` until the doctor classes it (``index_classes``).
A doctor may override the overall class, always with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ksk_desktop.clinical import bands, tables
from ksk_desktop.clinical.bmi import bmi
from ksk_desktop.clinical.measurements import DoctorClass, InvalidMeasurement, Measurements
from ksk_desktop.clinical.rounding import half_up_int


@dataclass
class Criterion:
    """One QĐ 1613 criterion (chỉ tiêu) computed from measurements."""

    id: str
    item: str
    index: str
    label: str
    cls: int | None
    status: str  # ok | gap | pending | no_table
    inputs: dict[str, Any]
    detail: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    items: list[tuple[str, int]] = field(default_factory=list)  # what Phụ lục 2 looks at for the index

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "item": self.item,
            "index": self.index,
            "label": self.label,
            "class": self.cls,
            "roman": roman(self.cls),
            "status": self.status,
            "inputs": plain(self.inputs),
        }
        if self.detail:
            out["detail"] = plain(self.detail)
        if self.notes:
            out["notes"] = self.notes
        return out


def plain(obj: Any) -> Any:
    """JSON-friendly copy: whole floats become ints (10.0 → 10)."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [plain(v) for v in obj]
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)
    return obj


def roman(cls: int | None) -> str | None:
    return None if cls is None else tables.qd1613()["classes"][str(cls)]["roman"]


def class_label(cls: int | None) -> str | None:
    return None if cls is None else tables.qd1613()["classes"][str(cls)]["label"]


def index_class(items: list[tuple[str, int]], best_if_only: dict[str, list[str]]) -> int:
    """Phụ lục 2: the worst item, except that listed items at II (or III) still leave the index at I (or II)."""
    worst = max(c for _, c in items)
    if worst == 1 or worst >= 4:
        return worst
    at_worst = [item for item, c in items if c == worst]
    allowed = best_if_only.get("1" if worst == 2 else "2", [])
    return worst - 1 if all(item in allowed for item in at_worst) else worst


def _usable(m: Measurements, *names: str) -> dict[str, float] | Literal["pending"] | None:
    """The values of *names*, or 'pending' when one awaits confirmation, or None when one is missing."""
    if any(n in m.pending for n in names):
        return "pending"
    if any(n not in m.values for n in names):
        return None
    return {n: m.values[n] for n in names}


def _pending(
    cid: str, item: str, index: str, label: str, names: tuple[str, ...], m: Measurements
) -> Criterion:
    waiting = [n for n in names if n in m.pending]
    return Criterion(
        cid,
        item,
        index,
        label,
        None,
        "pending",
        {n: m.pending[n] for n in waiting},
        notes=[f"Chờ xác nhận giá trị bất thường: {', '.join(waiting)}."],
    )


def _in_table(match: bands.Match) -> tuple[int, bands.Band]:
    """Class and band of a whole value in a table that leaves no gap between its bands (audiometry, pulse,
    BMI, teeth: tests/test_classify.py walks every value)."""
    assert match.cls is not None and match.band is not None, "bảng QĐ 1613 có khoảng trống"
    return match.cls, match.band


def _band_json(match: bands.Match, value: float) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value, "class": match.cls}
    if match.band is not None:
        out["band"] = bands.describe(match.band)
    else:
        out["gap"] = match.gap_text() or "ngoài bảng"
    return out


def physique(m: Measurements) -> Criterion | None:
    spec = tables.qd1613()["physique"]
    names = ("height_cm", "weight_kg")
    got = _usable(m, *names)
    if got is None:
        return None
    label = "Thể lực (chiều cao, cân nặng, vòng ngực)"
    if got == "pending":
        return _pending("the_luc", "TLC", "TLC", label, names, m)
    height, weight = half_up_int(got["height_cm"]), half_up_int(got["weight_kg"])
    notes = []
    chest_names: tuple[str, ...] = ()
    if "chest_cm" in m.values or "chest_cm" in m.pending:
        chest_names = ("chest_cm",)
    elif {"chest_inspiration_cm", "chest_expiration_cm"} & (set(m.values) | set(m.pending)):
        chest_names = ("chest_inspiration_cm", "chest_expiration_cm")
    chest_got = _usable(m, *chest_names) if chest_names else {}
    if chest_got == "pending":
        return _pending("the_luc", "TLC", "TLC", label, chest_names, m)
    assert chest_got is not None  # measurements.parse takes both chest numbers or neither
    if chest_names == ("chest_cm",):
        chest, source = half_up_int(chest_got["chest_cm"]), "do_truc_tiep"
    elif chest_names:
        raw = (chest_got["chest_inspiration_cm"] + chest_got["chest_expiration_cm"]) / 2
        chest, source = half_up_int(raw), "trung_binh_hit_vao_tho_ra"
    else:
        chest, source = half_up_int(height / 2), "chieu_cao_chia_2"
        notes.append("Không có số đo vòng ngực: dùng chiều cao đứng chia 2 (QĐ 1613 Phụ lục 1 §2).")
    table = spec["tables"][m.physique_table]
    rows = table[m.sex]
    parts = {}
    items = []
    gaps = []
    for key, value in (("chieu_cao", height), ("can_nang", weight), ("vong_nguc", chest)):
        match = bands.classify(value, rows[key])
        parts[key] = _band_json(match, value)
        if match.cls is None:
            gaps.append(f"{key} {value}: {parts[key]['gap']}")
        else:
            items.append((f"TLC.{key}", match.cls))
    inputs = {"height_cm": height, "weight_kg": weight, "chest_cm": chest}
    detail = {"table": table["label"], "chest_source": source, **parts}
    if gaps:
        notes.append("Giá trị nằm giữa hai khoảng của bảng, bác sĩ xếp loại: " + "; ".join(gaps) + ".")
        return Criterion("the_luc", "TLC", "TLC", label, None, "gap", inputs, detail, notes)
    best = _index_spec("TLC")["best_if_only"]
    return Criterion(
        "the_luc", "TLC", "TLC", label, index_class(items, best), "ok", inputs, detail, notes, items
    )


def vision(m: Measurements) -> Criterion | None:
    spec = tables.qd1613()["vision"]
    label = "Thị lực (chỉ tiêu 1)"
    eyes: dict[str, str] = {}
    for side in ("right", "left"):
        with_glasses = f"vision_{side}_corrected"
        present = set(m.values) | set(m.pending)
        eyes[side] = with_glasses if with_glasses in present else f"vision_{side}_uncorrected"
    names = (eyes["right"], eyes["left"])
    got = _usable(m, *names)
    if got is None:
        return None
    if got == "pending":
        return _pending("thi_luc", "1", "M", label, names, m)
    cap = spec["eye_cap"]
    right, left = min(got[eyes["right"]], cap), min(got[eyes["left"]], cap)
    total = right + left
    notes = []
    if m.dominant_hand == "phai":
        key_eye, which = right, "mắt phải (bên tay thuận)"
    elif m.dominant_hand == "trai":
        key_eye, which = left, "mắt trái (bên tay thuận)"
    else:
        key_eye, which = max(right, left), "mắt tốt hơn"
        notes.append(
            "Chưa rõ tay thuận: tạm lấy mắt tốt hơn; nếu mắt bên tay thuận kém hơn thì loại có thể thấp hơn "
            "(QĐ 1613 Phụ lục 1 §3)."
        )
    cls = next(r["class"] for r in spec["rows"] if key_eye >= r["eye_min"] and total >= r["total_min"])
    corrected = any(n.endswith("_corrected") for n in names)
    detail: dict[str, Any] = {
        "right": right,
        "left": left,
        "total": total,
        "one_eye_used": which,
        "corrected": corrected,
    }
    if corrected:
        detail["class_before_drop"] = cls
        cls = min(5, cls + spec["refractive_error"]["drop_classes"])
        notes.append("Có tật khúc xạ (có số đo có kính): xếp theo thị lực có kính rồi hạ một loại.")
    inputs = {n: got[n] for n in names}
    return Criterion("thi_luc", "1", "M", label, cls, "ok", inputs, detail, notes, [("1", cls)])


def hearing_whisper(m: Measurements) -> Criterion | None:
    spec = tables.qd1613()["hearing_whisper"]
    label = "Sức nghe, nói thầm (chỉ tiêu 16.1)"
    names = ("whisper_right_m", "whisper_left_m")
    got = _usable(m, *names)
    if got is None:
        return None
    if got == "pending":
        return _pending("nghe_noi_tham", "16.1", "TMH", label, names, m)
    better, worse = max(got.values()), min(got.values())
    row = next(r for r in spec["rows"] if better >= r["better_min"] and worse >= r["worse_min"])
    detail = {"better_ear_m": better, "worse_ear_m": worse, "row": row["text"]}
    return Criterion(
        "nghe_noi_tham",
        "16.1",
        "TMH",
        label,
        row["class"],
        "ok",
        dict(got),
        detail,
        items=[("16.1", row["class"])],
    )


def audiometry(m: Measurements) -> Criterion | None:
    spec = tables.qd1613()["audiometry"]
    label = "Thính lực kế (chỉ tiêu 16.2)"
    names = ("audiometry_right_db", "audiometry_left_db")
    got = _usable(m, *names)
    if got is None:
        return None
    if got == "pending":
        return _pending("thinh_luc_ke", "16.2", "TMH", label, names, m)
    better = half_up_int(min(got.values()))
    match = bands.classify(better, spec["bands"])
    cls, _band = _in_table(match)
    detail = {"better_ear_loss_db": _band_json(match, better)}
    return Criterion(
        "thinh_luc_ke", "16.2", "TMH", label, cls, "ok", dict(got), detail, items=[("16.2", cls)]
    )


def blood_pressure(m: Measurements) -> Criterion | None:
    spec = tables.qd1613()["blood_pressure"]
    label = "Huyết áp động mạch (chỉ tiêu 45)"
    names = ("systolic", "diastolic")
    got = _usable(m, *names)
    if got is None:
        return None
    if got == "pending":
        return _pending("huyet_ap", "45", "TH", label, names, m)
    sys_mm, dia_mm = half_up_int(got["systolic"]), half_up_int(got["diastolic"])
    inputs = {"systolic": sys_mm, "diastolic": dia_mm, "age_years": m.age.years}
    group = next(
        (
            g
            for g in spec["groups"]
            if m.age.years < g.get("age_below", 999)
            and g.get("age_min", 0) <= m.age.years <= g.get("age_max", 999)
        ),
        None,
    )
    if group is None:
        return Criterion(
            "huyet_ap",
            "45",
            "TH",
            label,
            None,
            "no_table",
            inputs,
            notes=[f"{spec['no_table']}: bác sĩ xếp loại tuần hoàn."],
        )
    by_sys = bands.classify(sys_mm, group["systolic"])
    by_dia = bands.classify(dia_mm, group["diastolic"])
    detail = {
        "group": f"{group['item']} {group['label']}",
        "systolic": _band_json(by_sys, sys_mm),
        "diastolic": _band_json(by_dia, dia_mm),
    }
    if by_sys.cls is None or by_dia.cls is None:
        gaps = [
            f"{w} {v} mmHg ({mt.gap_text() or 'ngoài bảng'})"
            for w, v, mt in (("tâm thu", sys_mm, by_sys), ("tâm trương", dia_mm, by_dia))
            if mt.cls is None
        ]
        return Criterion(
            "huyet_ap",
            group["item"],
            "TH",
            label,
            None,
            "gap",
            inputs,
            detail,
            ["Bảng QĐ 1613 không có khoảng cho " + "; ".join(gaps) + ": bác sĩ xếp loại."],
        )
    cls = max(by_sys.cls, by_dia.cls)
    return Criterion(
        "huyet_ap", group["item"], "TH", label, cls, "ok", inputs, detail, items=[(group["item"], cls)]
    )


def pulse(m: Measurements) -> Criterion | None:
    spec = tables.qd1613()["pulse"]
    label = "Tần số mạch (chỉ tiêu 46.1)"
    got = _usable(m, "pulse")
    if got is None:
        return None
    if got == "pending":
        return _pending("mach", "46.1", "TH", label, ("pulse",), m)
    value = half_up_int(got["pulse"])
    match = bands.classify(value, spec["bands"])
    cls, _band = _in_table(match)
    return Criterion(
        "mach",
        "46.1",
        "TH",
        label,
        cls,
        "ok",
        {"pulse": value},
        {"pulse": _band_json(match, value)},
        items=[("46.1", cls)],
    )


def obesity(m: Measurements) -> Criterion | None:
    spec = tables.qd1613()["obesity_bmi"]
    label = "Béo phệ theo BMI (chỉ tiêu 100)"
    names = ("height_cm", "weight_kg")
    got = _usable(m, *names)
    if got is None:
        return None
    if got == "pending":
        return _pending("beo_phe", "100", "NT_CH", label, names, m)
    value = half_up_int(bmi(got["weight_kg"], got["height_cm"]))
    match = bands.classify(value, spec["bands"])
    cls, band = _in_table(match)
    return Criterion(
        "beo_phe",
        band["item"],
        "NT_CH",
        label,
        cls,
        "ok",
        {"bmi": value},
        {"bmi": _band_json(match, value)},
        items=[(band["item"], cls)],
    )


def _teeth(m: Measurements, cid: str, key: str, name: str, label: str) -> Criterion | None:
    spec = tables.qd1613()[key]
    got = _usable(m, name)
    if got is None:
        return None
    if got == "pending":
        return _pending(cid, spec["item"], "RHM", label, (name,), m)
    value = half_up_int(got[name])
    match = bands.classify(value, spec["bands"])
    cls, band = _in_table(match)
    return Criterion(
        cid,
        band["item"],
        "RHM",
        label,
        cls,
        "ok",
        {name: value},
        {name: _band_json(match, value)},
        items=[(band["item"], cls)],
    )


def caries(m: Measurements) -> Criterion | None:
    return _teeth(m, "rang_sau", "caries", "caries_teeth", "Răng sâu (chỉ tiêu 23)")


def chewing(m: Measurements) -> Criterion | None:
    return _teeth(
        m, "mat_rang", "chewing", "chewing_capacity_pct", "Mất răng, sức nhai còn lại (chỉ tiêu 24)"
    )


CRITERIA = (physique, vision, hearing_whisper, audiometry, blood_pressure, pulse, obesity, caries, chewing)


def _index_spec(code: str) -> dict[str, Any]:
    return next(i for i in tables.qd1613()["indices"] if i["code"] == code)


def _class_json(cls: int | None) -> dict[str, Any]:
    return {"class": cls, "roman": roman(cls), "class_label": class_label(cls)}


def assess(m: Measurements) -> dict[str, Any]:
    """Criteria, the 13 indices, the suggested overall class and the final one (after a doctor's override)."""
    data = tables.qd1613()
    codes = [i["code"] for i in data["indices"]]
    unknown = sorted(set(m.index_classes) - set(codes))
    if unknown:
        raise InvalidMeasurement(
            f"Mã chỉ số không có trong QĐ 1613: {', '.join(unknown)} (các mã: {', '.join(codes)})."
        )
    if m.age.years < data["min_age_years"]:
        if m.index_classes or m.override:
            raise InvalidMeasurement(
                f"QĐ 1613 chỉ áp dụng từ {data['min_age_years']} tuổi: không xếp loại sức khỏe."
            )
        return {
            "applicable": False,
            "version": data["data_version"],
            "reason": f"QĐ 1613 áp dụng cho công dân từ {data['min_age_years']} tuổi trở lên.",
        }

    criteria = [c for c in (fn(m) for fn in CRITERIA) if c is not None]
    indices = []
    better_without_reason = []  # QĐ 1613: a doctor who classes an index better than its measurements says why
    for spec in data["indices"]:
        code = spec["code"]
        own = [c for c in criteria if c.index == code]
        items = [it for c in own for it in c.items]
        computed = index_class(items, spec["best_if_only"]) if items else None
        undetermined = [c.id for c in own if c.cls is None]
        doctor: DoctorClass | None = m.index_classes.get(code)
        if doctor and computed is not None and doctor.cls < computed and not doctor.reason:
            better_without_reason.append(
                f"{spec['label']}: bác sĩ xếp loại {roman(doctor.cls)} nhưng số đo cho loại {roman(computed)} "
                "— ghi lý do"
            )
        if doctor:
            status, cls = "doctor", doctor.cls
        elif computed is None:
            status, cls = ("undetermined" if undetermined else "missing"), None
        elif code == "TLC" and not undetermined:
            status, cls = "computed", computed
        else:
            status, cls = "partial", computed
        entry = {
            "code": code,
            "abbr": spec["abbr"],
            "label": spec["label"],
            **_class_json(cls),
            "status": status,
            "computed_class": computed,
            "criteria": [c.id for c in own],
        }
        if undetermined:
            entry["undetermined_criteria"] = undetermined
        if doctor:
            entry["doctor_class"] = doctor.cls
            if doctor.reason:
                entry["reason"] = doctor.reason
        indices.append(entry)

    if better_without_reason:
        raise InvalidMeasurement("; ".join(better_without_reason) + ".")
    classed = [i["class"] for i in indices if i["class"] is not None]
    suggested_cls = max(classed) if classed else None
    missing = [i["code"] for i in indices if i["status"] in ("missing", "undetermined")]
    partial = [i["code"] for i in indices if i["status"] == "partial"]
    suggested = {
        **_class_json(suggested_cls),
        "rule": "loại của chỉ số xấu nhất (QĐ 1613 III.3.3)",
        "complete": not missing and not partial and not m.needs_confirmation,
        "missing_indices": missing,
        "partial_indices": partial,
    }
    if m.override:
        final = {**_class_json(m.override.cls), "source": "override"}
        override = {
            **_class_json(m.override.cls),
            "reason": m.override.reason,
            "differs_from_suggested": m.override.cls != suggested_cls,
        }
    else:
        final = {**_class_json(suggested_cls), "source": "suggested"}
        override = None
    return {
        "applicable": True,
        "version": data["data_version"],
        "physique_table": m.physique_table,
        "criteria": [c.to_json() for c in criteria],
        "indices": indices,
        "suggested": suggested,
        "override": override,
        "final": final,
    }

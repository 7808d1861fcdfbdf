"""A small KHAMSUCKHOE-shaped file for the signature and push tests (the shape the data-set builder follows)."""

from __future__ import annotations

import base64
from xml.sax.saxutils import escape


def record_xml(fields: dict[str, str]) -> str:
    """One inner XML (XML1-style) with the given fields."""
    return "<TONG_HOP>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items()) + "</TONG_HOP>"


def khamsuckhoe(
    *,
    ma_lk: str = "LK0001",
    hoso_id: str = "HOSO-1",
    macskcb: str = "31001",
    ho_ten: str = "Trần Thị Thử",
    so_cccd: str = "031190000123",
    ngay_sinh: str = "19900115",
    phan_loai_sk: str = "2",
    ngay_vao: str | None = None,
) -> bytes:
    """The file before signing; *ngay_vao* (YYYYMMDDHHmm) is the visit time the 6-month rule counts from."""
    xml1 = record_xml({"MA_LK": ma_lk, "HO_TEN": ho_ten, "SO_CCCD": so_cccd, "NGAY_SINH": ngay_sinh})
    if ngay_vao is not None:
        xml1 = xml1.replace("</TONG_HOP>", f"<NGAY_VAO>{ngay_vao}</NGAY_VAO></TONG_HOP>")
    xml12 = record_xml({"MA_LK": ma_lk, "PHAN_LOAI_SK": phan_loai_sk, "KET_LUAN_BENH": "I10"})
    files = "".join(
        f"<FILEHOSO><LOAIHOSO>{kind}</LOAIHOSO><NOIDUNGFILE>"
        f"{base64.b64encode(body.encode()).decode()}</NOIDUNGFILE></FILEHOSO>"
        for kind, body in (("XML1", xml1), ("XML12", xml12))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<KHAMSUCKHOE><THONGTINDONVI><MACSKCB>{macskcb}</MACSKCB></THONGTINDONVI>"
        f'<THONGTINHOSO><NGAYLAP>20261126</NGAYLAP><SOLUONGHOSO>1</SOLUONGHOSO><DANHSACHHOSO><HOSO Id="{hoso_id}">'
        f"{files}</HOSO></DANHSACHHOSO></THONGTINHOSO>"
        "<CHUKYDONVI><CKS_NGUOI_KET_LUAN/><CKS_BENH_VIEN/></CHUKYDONVI></KHAMSUCKHOE>"
    ).encode()


def signed_khamsuckhoe(doctor, facility, **fields) -> bytes:  # noqa: ANN001 - CertSigners
    """The file signed by the concluding doctor (the record) and then the facility (the whole file)."""
    from ksk_desktop.moh1551 import xmldsig

    hoso_id = fields.get("hoso_id", "HOSO-1")
    xml = xmldsig.sign(khamsuckhoe(**fields), doctor, into="CKS_NGUOI_KET_LUAN", reference_id=hoso_id)
    return xmldsig.sign(xml, facility, into="CKS_BENH_VIEN")

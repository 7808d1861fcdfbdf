"""XML-DSig of the KHAMSUCKHOE file: our C14N + RSA-SHA256, checked both ways against xmlsec1."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from moh1551_support import khamsuckhoe, signed_khamsuckhoe
from testkit.testca import TestCA

from ksk_desktop.moh1551 import certs, xmldsig
from ksk_desktop.moh1551.errors import UnsupportedXml, XmlSignatureInvalid


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


@pytest.fixture(scope="module")
def doctor_issued(ca):
    return ca.doctor()


@pytest.fixture(scope="module")
def facility_issued(ca):
    return ca.facility()


@pytest.fixture(scope="module")
def doctor(doctor_issued):
    return certs.open_pkcs12(doctor_issued.p12("bs"), "bs")


@pytest.fixture(scope="module")
def facility(facility_issued):
    return certs.open_pkcs12(facility_issued.p12("tyt"), "tyt")


@pytest.mark.parametrize("exclusive", [False, True])
def test_doctor_signs_the_record_and_facility_signs_the_file(doctor, facility, exclusive):
    xml = xmldsig.sign(
        khamsuckhoe(), doctor, into="CKS_NGUOI_KET_LUAN", reference_id="HOSO-1", exclusive=exclusive
    )
    xml = xmldsig.sign(xml, facility, into="CKS_BENH_VIEN", exclusive=exclusive)
    assert xmldsig.verify(xml, at="CKS_NGUOI_KET_LUAN") == doctor.certificate
    assert xmldsig.verify(xml, at="CKS_BENH_VIEN") == facility.certificate


def test_any_change_breaks_the_signatures_that_cover_it(doctor, facility):
    xml = signed_khamsuckhoe(doctor, facility)
    # Outside the record: only the facility's signature covers it.
    outside = xml.replace(b"<MACSKCB>31001<", b"<MACSKCB>31002<")
    assert xmldsig.verify(outside, at="CKS_NGUOI_KET_LUAN") == doctor.certificate
    with pytest.raises(XmlSignatureInvalid, match="thay đổi"):
        xmldsig.verify(outside, at="CKS_BENH_VIEN")
    # Inside the record: both.
    inside = xml.replace(b"<LOAIHOSO>XML12<", b"<LOAIHOSO>XML11<")
    for at in ("CKS_NGUOI_KET_LUAN", "CKS_BENH_VIEN"):
        with pytest.raises(XmlSignatureInvalid):
            xmldsig.verify(inside, at=at)
    # The doctor's signature value itself is covered by the facility's.
    start = xml.index(b"<SignatureValue>") + len(b"<SignatureValue>")
    flipped = xml[:start] + (b"B" if xml[start : start + 1] != b"B" else b"C") + xml[start + 1 :]
    with pytest.raises(XmlSignatureInvalid):
        xmldsig.verify(flipped, at="CKS_BENH_VIEN")
    with pytest.raises(XmlSignatureInvalid):
        xmldsig.verify(flipped, at="CKS_NGUOI_KET_LUAN")


def test_a_second_element_with_the_signed_id_is_refused(doctor, facility):
    xml = signed_khamsuckhoe(doctor, facility)
    wrapped = xml.replace(b"<THONGTINDONVI>", b'<THONGTINDONVI><X Id="HOSO-1"/>')
    with pytest.raises(XmlSignatureInvalid, match="Id"):
        xmldsig.verify(wrapped, at="CKS_NGUOI_KET_LUAN")


@pytest.mark.parametrize(
    "bad",
    [
        b'<!DOCTYPE x [<!ENTITY a "b">]><KHAMSUCKHOE>&a;<CKS_BENH_VIEN/></KHAMSUCKHOE>',
        b"<KHAMSUCKHOE><!-- x --><CKS_BENH_VIEN/></KHAMSUCKHOE>",
        b"<KHAMSUCKHOE><?pi x?><CKS_BENH_VIEN/></KHAMSUCKHOE>",
        b'<KHAMSUCKHOE xmlns="urn:other"><CKS_BENH_VIEN/></KHAMSUCKHOE>',
        b'<KHAMSUCKHOE xmlns:x="urn:x" x:a="1"><CKS_BENH_VIEN/></KHAMSUCKHOE>',
        b"<KHAMSUCKHOE><CKS_BENH_VIEN/><CKS_BENH_VIEN/></KHAMSUCKHOE>",
        b"<KHAMSUCKHOE><CKS_BENH_VIEN>",
    ],
)
def test_inputs_outside_what_we_canonicalise_are_refused(facility, bad):
    with pytest.raises(UnsupportedXml):
        xmldsig.sign(bad, facility, into="CKS_BENH_VIEN")


def test_an_empty_holder_is_no_signature(facility):
    with pytest.raises(XmlSignatureInvalid):
        xmldsig.verify(khamsuckhoe(), at="CKS_BENH_VIEN")


# -- interoperability with xmlsec1 (an independent implementation) ---------------------------------------------
needs_xmlsec1 = pytest.mark.skipif(
    shutil.which("xmlsec1") is None, reason="xmlsec1 is not installed: installer/dev-setup.sh installs it"
)


def _xmlsec1(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["xmlsec1", *args], capture_output=True, text=True, timeout=60)


@needs_xmlsec1
@pytest.mark.parametrize("exclusive", [False, True])
def test_xmlsec1_verifies_our_signatures(tmp_path, ca, doctor, facility, exclusive):
    xml = xmldsig.sign(
        khamsuckhoe(), doctor, into="CKS_NGUOI_KET_LUAN", reference_id="HOSO-1", exclusive=exclusive
    )
    xml = xmldsig.sign(xml, facility, into="CKS_BENH_VIEN", exclusive=exclusive)
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem())
    signed = tmp_path / "signed.xml"
    tampered = tmp_path / "tampered.xml"
    signed.write_bytes(xml)
    tampered.write_bytes(xml.replace(b"<SOLUONGHOSO>1<", b"<SOLUONGHOSO>2<"))
    for holder in ("CKS_NGUOI_KET_LUAN", "CKS_BENH_VIEN"):
        args = ["--verify", "--trusted-pem", str(tmp_path / "ca.pem"), "--id-attr:Id", "HOSO"]
        args += ["--node-xpath", f"//{holder}/*[local-name()='Signature']"]
        ok = _xmlsec1(*args, str(signed))
        assert ok.returncode == 0, ok.stderr
        bad = _xmlsec1(*args, str(tampered))
        # The count outside the record is covered by the facility's signature only.
        assert (bad.returncode != 0) == (holder == "CKS_BENH_VIEN"), bad.stderr


TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<KHAMSUCKHOE>
  <THONGTINDONVI><MACSKCB>31001</MACSKCB></THONGTINDONVI>
  <THONGTINHOSO><DANHSACHHOSO><HOSO Id="HOSO-9"><FILEHOSO><LOAIHOSO>XML1</LOAIHOSO>
    <NOIDUNGFILE>VGjhu4sgVGjhu60=</NOIDUNGFILE></FILEHOSO></HOSO></DANHSACHHOSO></THONGTINHOSO>
  <CHUKYDONVI>
    <CKS_NGUOI_KET_LUAN>
      <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:SignedInfo>
          <ds:CanonicalizationMethod Algorithm="{c14n}"/>
          <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
          <ds:Reference URI="{uri}">
            <ds:Transforms>
              <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
              <ds:Transform Algorithm="{c14n}"/>
            </ds:Transforms>
            <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
            <ds:DigestValue/>
          </ds:Reference>
        </ds:SignedInfo>
        <ds:SignatureValue/>
        <ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>
      </ds:Signature>
    </CKS_NGUOI_KET_LUAN>
  </CHUKYDONVI>
</KHAMSUCKHOE>
"""


@needs_xmlsec1
@pytest.mark.parametrize("c14n", [xmldsig.C14N, xmldsig.EXC_C14N])
@pytest.mark.parametrize("uri", ["", "#HOSO-9"])
def test_we_verify_signatures_xmlsec1_made(tmp_path, doctor_issued, c14n, uri):
    template = tmp_path / "template.xml"
    template.write_text(TEMPLATE.format(c14n=c14n, uri=uri), encoding="utf-8")
    (tmp_path / "key.pem").write_bytes(doctor_issued.key_pem())
    (tmp_path / "cert.pem").write_bytes(doctor_issued.cert_pem())
    out = tmp_path / "signed.xml"
    made = _xmlsec1(
        "--sign", "--privkey-pem", f"{tmp_path / 'key.pem'},{tmp_path / 'cert.pem'}",
        "--id-attr:Id", "HOSO", "--output", str(out), str(template),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    xml = out.read_bytes()
    assert xmldsig.verify(xml, at="CKS_NGUOI_KET_LUAN") == doctor_issued.certificate
    with pytest.raises(XmlSignatureInvalid):
        xmldsig.verify(xml.replace(b"VGjhu4sgVGjhu60=", b"VGjhu4sgVGjhu61="), at="CKS_NGUOI_KET_LUAN")

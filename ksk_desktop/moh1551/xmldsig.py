"""XML-DSig (enveloped, RSA-SHA256, SHA-256, C14N 1.0) for the KHAMSUCKHOE file, on the standard library.

``sign`` puts a ``Signature`` (default namespace XML-DSig) as the child of the element named *into*:
- with *reference_id* it signs the element carrying ``Id="<reference_id>"`` (the concluding doctor signs the
  exam record, ``<HOSO Id=…>``, into ``CKS_NGUOI_KET_LUAN``);
- without it, the whole document (``URI=""``) less this signature (the enveloped-signature transform): the
  facility signs the file into ``CKS_BENH_VIEN``, covering the doctor's signature too.
``verify`` checks one signature and returns the certificate from its ``KeyInfo``; the caller decides whether
to trust that certificate (compare it with the registered one). Interoperability with ``xmlsec1`` is tested.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ksk_desktop.moh1551.certs import CertSigner, verify_rsa_sha256
from ksk_desktop.moh1551.errors import UnsupportedXml, XmlSignatureInvalid
from ksk_desktop.moh1551.xmltree import DSIG_NS, Element, canonicalize, parse, serialize

C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
_C14NS = {C14N: False, EXC_C14N: True}  # algorithm → exclusive?


def _invalid(reason: str) -> XmlSignatureInvalid:
    return XmlSignatureInvalid(f"Chữ ký số XML không hợp lệ: {reason}.")


def _one(root: Element, local: str) -> Element:
    found = [e for e in root.iter() if e.local == local and e.namespace() != DSIG_NS]
    if len(found) != 1:
        raise UnsupportedXml(f"Tệp XML phải có đúng một phần tử {local} (có {len(found)}).")
    return found[0]


def _by_id(root: Element, ref_id: str) -> Element:
    found = [e for e in root.iter() if e.get("Id") == ref_id]
    if len(found) != 1:
        # Two elements with one Id is how signature-wrapping attacks start: refuse, never pick one.
        raise _invalid(f"cần đúng một phần tử có Id đã ký (có {len(found)})")
    return found[0]


def _ds(local: str, attrs: list[tuple[str, str]] | None = None, text: str | None = None) -> Element:
    node = Element(local, list(attrs or []))
    if text is not None:
        node.children.append(text)
    return node


def _build(parent: Element, spec: tuple) -> Element:
    local, attrs, kids = spec
    node = parent.append(_ds(local, attrs))
    for kid in kids:
        if isinstance(kid, str):
            node.children.append(kid)
        else:
            _build(node, kid)
    return node


def _signed_octets(root: Element, target: Element, signature: Element, exclusive: bool) -> bytes:
    """The referenced data after the enveloped-signature transform and C14N."""
    return canonicalize(target, exclusive=exclusive, omit=signature)


def sign(
    xml: bytes, signer: CertSigner, *, into: str, reference_id: str | None = None, exclusive: bool = False
) -> bytes:
    """Return *xml* with a new enveloped ``Signature`` inside the element named *into* (see the module)."""
    root = parse(xml)
    holder = _one(root, into)
    if holder.elements() or holder.text().strip():
        raise UnsupportedXml(f"Phần tử {into} đã có nội dung (đã ký?).")
    holder.children.clear()
    target = root if reference_id is None else _by_id(root, reference_id)
    c14n = EXC_C14N if exclusive else C14N
    signature = holder.append(_ds("Signature", [("xmlns", DSIG_NS)]))
    cert_b64 = base64.b64encode(signer.certificate.public_bytes(serialization.Encoding.DER)).decode()
    signed_info = _build(
        signature,
        ("SignedInfo", [], [
            ("CanonicalizationMethod", [("Algorithm", c14n)], []),
            ("SignatureMethod", [("Algorithm", RSA_SHA256)], []),
            ("Reference", [("URI", "" if reference_id is None else f"#{reference_id}")], [
                ("Transforms", [], [
                    ("Transform", [("Algorithm", ENVELOPED)], []),
                    ("Transform", [("Algorithm", c14n)], []),
                ]),
                ("DigestMethod", [("Algorithm", SHA256)], []),
                ("DigestValue", [], []),
            ]),
        ]),
    )  # fmt: skip
    digest = hashlib.sha256(_signed_octets(root, target, signature, exclusive)).digest()
    digest_node = signed_info.elements()[2].elements()[2]
    digest_node.children.append(base64.b64encode(digest).decode())
    value = signer.sign(canonicalize(signed_info, exclusive=exclusive))
    signature.append(_ds("SignatureValue", text=base64.b64encode(value).decode()))
    _build(signature, ("KeyInfo", [], [("X509Data", [], [("X509Certificate", [], [cert_b64])])]))
    return serialize(root)


def _child(node: Element, local: str) -> Element:
    found = [e for e in node.elements() if e.local == local and e.namespace() == DSIG_NS]
    if len(found) != 1:
        raise _invalid(f"thiếu hoặc thừa phần tử {local}")
    return found[0]


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid(f"{what} không phải Base64") from exc


def _reference_c14n(reference: Element) -> tuple[bool, bool]:
    """(exclusive?, enveloped?) from the Reference's transforms; anything else is refused."""
    transforms = [e for e in reference.elements() if e.local == "Transforms"]
    algorithms = [t.get("Algorithm") or "" for t in transforms[0].elements()] if transforms else []
    enveloped = ENVELOPED in algorithms
    rest = [a for a in algorithms if a != ENVELOPED]
    if len(rest) > 1 or any(a not in _C14NS for a in rest) or algorithms.count(ENVELOPED) > 1:
        raise _invalid("biến đổi (Transform) không được hỗ trợ")
    # No C14N transform: a node-set becomes octets by inclusive C14N 1.0 (XML-DSig §4.3.3.2).
    return (_C14NS[rest[0]] if rest else False), enveloped


def verify(xml: bytes, *, at: str) -> x509.Certificate:
    """Check the signature inside the element named *at*; return its certificate, raise on any mismatch."""
    return verify_tree(parse(xml), at=at)


def verify_tree(root: Element, *, at: str) -> x509.Certificate:
    """:func:`verify` on a document already parsed (``xmltree.parse``): a reader checking both signatures
    parses once."""
    holder = _one(root, at)
    sigs = [e for e in holder.elements() if e.local == "Signature" and e.namespace() == DSIG_NS]
    if len(sigs) != 1:
        raise _invalid(f"{at} không chứa đúng một chữ ký")
    signature = sigs[0]
    signed_info = _child(signature, "SignedInfo")
    method = _child(signed_info, "CanonicalizationMethod").get("Algorithm")
    if method not in _C14NS or _child(signed_info, "CanonicalizationMethod").elements():
        raise _invalid("phương pháp chuẩn hóa không được hỗ trợ")
    if _child(signed_info, "SignatureMethod").get("Algorithm") != RSA_SHA256:
        raise _invalid("thuật toán ký không phải RSA-SHA256")
    reference = _child(signed_info, "Reference")
    if _child(reference, "DigestMethod").get("Algorithm") != SHA256:
        raise _invalid("thuật toán băm không phải SHA-256")
    uri = reference.get("URI")
    if uri == "":
        target = root
    elif uri and uri.startswith("#") and len(uri) > 1:
        target = _by_id(root, uri[1:])
    else:
        raise _invalid("tham chiếu (URI) không được hỗ trợ")
    exclusive, enveloped = _reference_c14n(reference)
    inside = signature in target.iter()
    if inside and not enveloped:
        raise _invalid("chữ ký nằm trong phần được ký nhưng thiếu biến đổi enveloped-signature")
    octets = canonicalize(target, exclusive=exclusive, omit=signature if inside else None)
    digest = _b64(_child(reference, "DigestValue").text(), "DigestValue")
    if hashlib.sha256(octets).digest() != digest:
        raise _invalid("nội dung đã bị thay đổi sau khi ký")
    certs = [
        e
        for e in _child(_child(signature, "KeyInfo"), "X509Data").elements()
        if e.local == "X509Certificate" and e.namespace() == DSIG_NS
    ]
    if len(certs) != 1:
        raise _invalid("KeyInfo phải có đúng một chứng thư X.509")
    try:
        cert = x509.load_der_x509_certificate(_b64(certs[0].text(), "X509Certificate"))
    except ValueError as exc:
        raise _invalid("chứng thư trong KeyInfo hỏng") from exc
    value = _b64(_child(signature, "SignatureValue").text(), "SignatureValue")
    if not verify_rsa_sha256(cert, value, canonicalize(signed_info, exclusive=_C14NS[method])):
        raise _invalid("giá trị chữ ký không khớp với chứng thư")
    return cert

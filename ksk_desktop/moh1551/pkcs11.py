"""A PKCS#11 token signer on ctypes: the few Cryptoki calls a signature needs, no extra wheel in the bundle.

Calls the module's exported ``C_*`` functions (every token module we know exports them, SoftHSM2 included):
find the slot whose token has the label, open a session, log in with the PIN, find the RSA private key (by
label, or the only one) and the certificate with the same ``CKA_ID``, and sign with ``CKM_SHA256_RSA_PKCS``.
Windows builds of Cryptoki pack their structures to one byte; other platforms use natural alignment.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from ksk_desktop.moh1551.errors import (
    CertificatePinLocked,
    NoSigningKey,
    TokenAbsent,
    TokenFailure,
    WrongCertificatePassword,
)

CK_ULONG = ctypes.c_ulong
CKR_OK = 0
CKR_PIN_INCORRECT = 0xA0
CKR_PIN_LEN_RANGE = 0xA2
CKR_PIN_LOCKED = 0xA4
CKR_TOKEN_NOT_PRESENT = 0xE0
CKR_DEVICE_REMOVED = 0x32
CKR_USER_ALREADY_LOGGED_IN = 0x100
CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191
CKF_RW_SESSION = 0x2
CKF_SERIAL_SESSION = 0x4
CKU_USER = 1
CKA_CLASS = 0x0
CKA_LABEL = 0x3
CKA_VALUE = 0x11
CKA_KEY_TYPE = 0x100
CKA_ID = 0x102
CKA_MODULUS = 0x120
CKO_CERTIFICATE = 1
CKO_PRIVATE_KEY = 3
CKK_RSA = 0
CKM_SHA256_RSA_PKCS = 0x40
_PACK = 1 if sys.platform == "win32" else 0


class _Attribute(ctypes.Structure):
    if _PACK:
        _pack_ = _PACK
    _fields_ = [("type", CK_ULONG), ("pValue", ctypes.c_void_p), ("ulValueLen", CK_ULONG)]


class _Mechanism(ctypes.Structure):
    if _PACK:
        _pack_ = _PACK
    _fields_ = [("mechanism", CK_ULONG), ("pParameter", ctypes.c_void_p), ("ulParameterLen", CK_ULONG)]


# CK_TOKEN_INFO starts with label[32], manufacturerID[32], model[16], serialNumber[16]; a generous buffer
# holds the whole structure whatever the platform's layout of the numbers after it.
_TOKEN_INFO_SIZE = 512

_modules: dict[str, tuple[Any, int]] = {}
_modules_lock = threading.Lock()


def _load(module: str) -> Any:
    """Load and initialise *module* once per process; each signer holds a reference."""
    with _modules_lock:
        if module in _modules:
            lib, refs = _modules[module]
            _modules[module] = (lib, refs + 1)
            return lib
        try:
            lib = ctypes.CDLL(module)
        except OSError as exc:
            raise TokenAbsent(
                "Không nạp được thư viện PKCS#11 của thiết bị ký số; hãy kiểm tra đường dẫn và trình điều khiển."
            ) from exc
        rv = lib.C_Initialize(None)
        if rv not in (CKR_OK, CKR_CRYPTOKI_ALREADY_INITIALIZED):
            raise TokenFailure(f"Thiết bị ký số không khởi tạo được (mã lỗi PKCS#11 0x{rv:X}).")
        _modules[module] = (lib, 1)
        return lib


def _release(module: str) -> None:
    with _modules_lock:
        lib, refs = _modules[module]
        if refs > 1:
            _modules[module] = (lib, refs - 1)
            return
        del _modules[module]
        lib.C_Finalize(None)


def _check(rv: int, what: str) -> None:
    if rv == CKR_OK:
        return
    if rv in (CKR_PIN_INCORRECT, CKR_PIN_LEN_RANGE):
        raise WrongCertificatePassword("Mã PIN của thiết bị ký số không đúng.")
    if rv == CKR_PIN_LOCKED:
        raise CertificatePinLocked("Mã PIN của thiết bị ký số đã bị khóa do nhập sai nhiều lần.")
    if rv in (CKR_TOKEN_NOT_PRESENT, CKR_DEVICE_REMOVED):
        raise TokenAbsent("Không thấy thiết bị ký số; hãy cắm lại USB token rồi thử lại.")
    raise TokenFailure(f"Thiết bị ký số báo lỗi khi {what} (mã lỗi PKCS#11 0x{rv:X}).")


def _find_slot(lib: Any, token_label: str) -> int:
    count = CK_ULONG(0)
    _check(lib.C_GetSlotList(ctypes.c_ubyte(1), None, ctypes.byref(count)), "liệt kê khe cắm")
    slots = (CK_ULONG * max(count.value, 1))()
    _check(lib.C_GetSlotList(ctypes.c_ubyte(1), slots, ctypes.byref(count)), "liệt kê khe cắm")
    for slot in list(slots)[: count.value]:
        info = ctypes.create_string_buffer(_TOKEN_INFO_SIZE)
        if lib.C_GetTokenInfo(CK_ULONG(slot), info) != CKR_OK:
            continue
        label = info.raw[:32].decode("utf-8", "replace").rstrip(" \x00")
        if label == token_label:
            return int(slot)
    raise TokenAbsent("Không thấy thiết bị ký số có nhãn đã cấu hình; hãy cắm USB token rồi thử lại.")


class TokenSigner:
    """A logged-in session on a token; ``sign`` runs on the token, one call at a time."""

    def __init__(self, module: str, lib: Any, session: int, key: int, certificate: x509.Certificate) -> None:
        self._module = module
        self._lib = lib
        self._session: int | None = session
        self._key = key
        self._certificate = certificate
        self._lock = threading.Lock()

    @classmethod
    def open(cls, module: str, token_label: str, pin: str, key_label: str | None = None) -> TokenSigner:
        lib = _load(module)
        session = CK_ULONG(0)
        try:
            slot = _find_slot(lib, token_label)
            flags = CK_ULONG(CKF_SERIAL_SESSION | CKF_RW_SESSION)
            _check(lib.C_OpenSession(CK_ULONG(slot), flags, None, None, ctypes.byref(session)), "mở phiên")
        except BaseException:
            _release(module)
            raise
        try:
            pin_bytes = pin.encode("utf-8")
            rv = lib.C_Login(session, CK_ULONG(CKU_USER), pin_bytes, CK_ULONG(len(pin_bytes)))
            if rv != CKR_USER_ALREADY_LOGGED_IN:
                _check(rv, "đăng nhập")
            key, cert = _find_key_and_certificate(lib, session.value, key_label)
        except BaseException:
            lib.C_CloseSession(session)
            _release(module)
            raise
        return cls(module, lib, session.value, key, cert)

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    def sign(self, data: bytes) -> bytes:
        with self._lock:
            if self._session is None:
                raise NoSigningKey("Phiên ký trên thiết bị đã đóng; hãy mở lại thiết bị ký số.")
            session = CK_ULONG(self._session)
            mech = _Mechanism(CKM_SHA256_RSA_PKCS, None, 0)
            _check(self._lib.C_SignInit(session, ctypes.byref(mech), CK_ULONG(self._key)), "bắt đầu ký")
            size = CK_ULONG(0)
            buf = ctypes.create_string_buffer(data, len(data))
            _check(self._lib.C_Sign(session, buf, CK_ULONG(len(data)), None, ctypes.byref(size)), "ký")
            out = ctypes.create_string_buffer(size.value)
            _check(self._lib.C_Sign(session, buf, CK_ULONG(len(data)), out, ctypes.byref(size)), "ký")
            return out.raw[: size.value]

    def close(self) -> None:
        with self._lock:
            if self._session is None:
                return
            session = CK_ULONG(self._session)
            self._session = None
            self._lib.C_Logout(session)
            self._lib.C_CloseSession(session)
            _release(self._module)


def _find(lib: Any, session: int, template: list[tuple[int, bytes]]) -> list[int]:
    """Object handles matching *template* ((attribute type, raw value) pairs)."""
    keep = [ctypes.create_string_buffer(value, len(value)) for _, value in template]
    attrs = (_Attribute * max(len(template), 1))()
    for i, ((kind, value), buf) in enumerate(zip(template, keep, strict=True)):
        attrs[i] = _Attribute(kind, ctypes.cast(buf, ctypes.c_void_p), len(value))
    s = CK_ULONG(session)
    _check(lib.C_FindObjectsInit(s, attrs, CK_ULONG(len(template))), "tìm khóa")
    found: list[int] = []
    try:
        batch = (CK_ULONG * 16)()
        got = CK_ULONG(0)
        while True:
            _check(lib.C_FindObjects(s, batch, CK_ULONG(16), ctypes.byref(got)), "tìm khóa")
            if got.value == 0:
                break
            found.extend(int(h) for h in list(batch)[: got.value])
    finally:
        lib.C_FindObjectsFinal(s)
    return found


def _attribute(lib: Any, session: int, handle: int, kind: int) -> bytes | None:
    attr = _Attribute(kind, None, 0)
    s, h = CK_ULONG(session), CK_ULONG(handle)
    if lib.C_GetAttributeValue(s, h, ctypes.byref(attr), CK_ULONG(1)) != CKR_OK:
        return None
    if attr.ulValueLen in (0, CK_ULONG(-1).value):
        return b"" if attr.ulValueLen == 0 else None
    buf = ctypes.create_string_buffer(attr.ulValueLen)
    attr.pValue = ctypes.cast(buf, ctypes.c_void_p)
    if lib.C_GetAttributeValue(s, h, ctypes.byref(attr), CK_ULONG(1)) != CKR_OK:
        return None
    return buf.raw[: attr.ulValueLen]


def _ulong(value: int) -> bytes:
    return bytes(CK_ULONG(value))


def _find_key_and_certificate(lib: Any, session: int, key_label: str | None) -> tuple[int, x509.Certificate]:
    template = [(CKA_CLASS, _ulong(CKO_PRIVATE_KEY)), (CKA_KEY_TYPE, _ulong(CKK_RSA))]
    if key_label is not None:
        template.append((CKA_LABEL, key_label.encode("utf-8")))
    keys = _find(lib, session, template)
    if not keys:
        raise NoSigningKey("Thiết bị ký số không có khóa RSA (hoặc không có khóa với nhãn đã cấu hình).")
    if len(keys) > 1:
        raise NoSigningKey("Thiết bị ký số có nhiều khóa; hãy chỉ rõ nhãn khóa dùng để ký.")
    key = keys[0]
    key_id = _attribute(lib, session, key, CKA_ID)
    certs: list[int] = []
    if key_id:
        certs = _find(lib, session, [(CKA_CLASS, _ulong(CKO_CERTIFICATE)), (CKA_ID, key_id)])
    if not certs and key_label is not None:
        certs = _find(lib, session, [(CKA_CLASS, _ulong(CKO_CERTIFICATE)), (CKA_LABEL, key_label.encode())])
    if len(certs) != 1:
        raise NoSigningKey("Không tìm thấy đúng một chứng thư số đi kèm khóa trên thiết bị ký số.")
    der = _attribute(lib, session, certs[0], CKA_VALUE)
    if not der:
        raise NoSigningKey("Không đọc được chứng thư số trên thiết bị ký số.")
    cert = x509.load_der_x509_certificate(der)
    public = cert.public_key()
    modulus = _attribute(lib, session, key, CKA_MODULUS)
    if not isinstance(public, rsa.RSAPublicKey) or (
        modulus and int.from_bytes(modulus, "big") != public.public_numbers().n
    ):
        raise NoSigningKey("Khóa trên thiết bị ký số không khớp với chứng thư số đi kèm.")
    return key, cert

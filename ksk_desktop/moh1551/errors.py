"""Typed errors of the Ministry signatures and envelopes, each with a Vietnamese message."""

from __future__ import annotations

from ksk_desktop.errors import InvalidInput, KskError


class CertificateError(KskError):
    """A signing certificate or key cannot be used (base class)."""

    exit_code = 20


class WrongCertificatePassword(CertificateError):
    """The PKCS#12 password or the token PIN is wrong."""


class CertificatePinLocked(CertificateError):
    """The token refuses its PIN after too many wrong tries."""


class NoSigningKey(CertificateError):
    """The file or token holds no usable RSA key with its certificate."""


class CertificateExpired(CertificateError):
    """The certificate is not valid at the signing time (expired or not yet valid)."""


class TokenAbsent(CertificateError):
    """No token with that label is plugged in (or the PKCS#11 module cannot be loaded)."""


class TokenFailure(CertificateError):
    """The token answered a PKCS#11 call with an error we do not expect."""


class UnsupportedXml(InvalidInput):
    """The XML uses something the signer does not canonicalise (DTD, comments, foreign namespaces…)."""


class XmlSignatureInvalid(KskError):
    """An XML-DSig signature is missing, malformed, or does not match the document."""

    exit_code = 21


class EnvelopeSignatureInvalid(KskError):
    """The push envelope's signature does not match its header and data."""

    exit_code = 21

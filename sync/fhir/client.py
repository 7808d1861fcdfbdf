"""Send a transaction Bundle to a FHIR R4 server, within the server's limit on entries per transaction.

Servers cap transactions that carry conditional requests (Medplum: 8 entries, hard-coded in its router). A
bundle over the limit is sent as consecutive transactions of at most ``max_entries``, in order; each entry only
refers to entries before it (the builder guarantees it), so references to entries already sent are rewritten
from their ``urn:uuid`` to the ``Type/id`` the server answered. Every entry is conditional on its identifier,
so re-sending the whole bundle after a failure part-way (or after a crash) creates nothing twice.
"""

from __future__ import annotations

import json
import logging

import requests

log = logging.getLogger("ksk.fhir")

DEFAULT_MAX_ENTRIES = 8
FHIR_JSON = "application/fhir+json"


class FhirError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FhirRejected(FhirError):
    """The server refused the content (an OperationOutcome): retrying the same bundle cannot help."""


class FhirUnavailable(FhirError):
    """Network trouble, a timeout, 5xx, 429: try again later."""


class FhirConflict(FhirUnavailable):
    """A versioned update found the resource changed since it was read (412/409): read it again."""


def outcome_text(body: object) -> str:
    """The issues of an OperationOutcome as one line (diagnostics, details, where)."""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return ""
    parts = []
    for issue in body.get("issue") or []:
        text = issue.get("diagnostics") or (issue.get("details") or {}).get("text") or issue.get("code") or ""
        where = ", ".join(issue.get("expression") or issue.get("location") or [])
        parts.append(f"{text} ({where})" if where else str(text))
    return "; ".join(p for p in parts if p)


def split(bundle: dict, max_entries: int) -> list[list[dict]]:
    """The bundle's entries in consecutive groups of at most *max_entries*."""
    entries = bundle.get("entry") or []
    size = max(1, max_entries)
    return [entries[i : i + size] for i in range(0, len(entries), size)]


def _rewrite(value: object, resolved: dict[str, str]) -> object:
    if isinstance(value, dict):
        return {k: _rewrite(v, resolved) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, resolved) for v in value]
    if isinstance(value, str) and value in resolved:
        return resolved[value]
    return value


def _location(entry: dict) -> str | None:
    """``Type/id`` from a transaction-response entry's ``response.location`` (``Type/id/_history/v`` or a URL)."""
    loc = (entry.get("response") or {}).get("location") or ""
    parts = loc.split("?")[0].rstrip("/").split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return "/".join(parts[-2:]) if len(parts) >= 2 else None


class FhirClient:
    """A FHIR R4 endpoint (``base_url`` such as ``http://127.0.0.1:8103/fhir/R4``)."""

    def __init__(
        self,
        base_url: str,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        timeout: tuple[float, float] = (5.0, 60.0),
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_entries = max_entries
        self.timeout = timeout
        self.http = session or requests.Session()

    def close(self) -> None:
        self.http.close()

    def transaction(self, bundle: dict, resolved: dict[str, str] | None = None) -> list[str]:
        """Send *bundle* (split if needed); returns the ``Type/id`` of every entry, in order. *resolved* maps the
        fullUrls of resources already on the server (not in the bundle) to their ``Type/id``."""
        resolved = dict(resolved or {})
        locations: list[str] = []
        for group in split(bundle, self.max_entries):
            part = {"resourceType": "Bundle", "type": "transaction", "entry": _rewrite(group, resolved)}
            answer = self._post(part)
            results = answer.get("entry") or []
            if answer.get("type") != "transaction-response" or len(results) != len(group):
                raise FhirUnavailable("Máy chủ FHIR trả lời không đầy đủ cho giao dịch.")
            for sent, result in zip(group, results, strict=True):
                status = str((result.get("response") or {}).get("status", ""))
                if not status[:1] == "2":
                    raise FhirRejected(
                        f"Mục bị từ chối ({status}): "
                        + outcome_text((result.get("response") or {}).get("outcome"))
                    )
                where = _location(result)
                if where is None:
                    raise FhirUnavailable("Máy chủ FHIR không cho biết vị trí bản ghi đã lưu.")
                resolved[sent["fullUrl"]] = where
                locations.append(where)
        return locations

    def search(self, resource_type: str, params: dict[str, str]) -> list[dict]:
        """The resources of one search (first page, up to 1,000)."""
        try:
            r = self.http.get(
                f"{self.base_url}/{resource_type}",
                params={"_count": "1000", **params},
                headers={"Accept": FHIR_JSON},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise FhirUnavailable(f"Không kết nối được máy chủ FHIR ({type(exc).__name__}).") from None
        body = self._json(r)
        if r.status_code != 200:
            raise FhirRejected(outcome_text(body) or f"HTTP {r.status_code}")
        if not isinstance(body, dict):
            raise FhirUnavailable("Máy chủ FHIR trả lời không phải JSON.")
        return [e["resource"] for e in body.get("entry") or [] if "resource" in e]

    def update(self, resource: dict, *, if_match: str) -> dict:
        """``PUT Type/id`` of *resource*, only if the server still holds version *if_match* (``If-Match``); the stored
        resource. Raises FhirConflict when the version changed meanwhile."""
        data = json.dumps(resource, ensure_ascii=False).encode("utf-8")
        try:
            r = self.http.put(
                f"{self.base_url}/{resource['resourceType']}/{resource['id']}",
                data=data,
                timeout=self.timeout,
                headers={
                    "Content-Type": f"{FHIR_JSON}; charset=utf-8",
                    "Accept": FHIR_JSON,
                    "If-Match": f'W/"{if_match}"',
                },
            )
        except requests.RequestException as exc:
            raise FhirUnavailable(f"Không kết nối được máy chủ FHIR ({type(exc).__name__}).") from None
        body = self._json(r)
        if r.status_code in (409, 412):
            raise FhirConflict(f"Bản ghi trên máy chủ FHIR vừa thay đổi (HTTP {r.status_code}).")
        self._check(r, body)
        if not isinstance(body, dict):
            raise FhirUnavailable("Máy chủ FHIR trả lời không phải JSON.")
        return body

    def _post(self, bundle: dict) -> dict:
        data = json.dumps(bundle, ensure_ascii=False).encode("utf-8")
        try:
            r = self.http.post(
                self.base_url,
                data=data,
                timeout=self.timeout,
                headers={"Content-Type": f"{FHIR_JSON}; charset=utf-8", "Accept": FHIR_JSON},
            )
        except requests.RequestException as exc:
            raise FhirUnavailable(f"Không kết nối được máy chủ FHIR ({type(exc).__name__}).") from None
        body = self._json(r)
        self._check(r, body)
        if not isinstance(body, dict):
            raise FhirUnavailable("Máy chủ FHIR trả lời không phải JSON.")
        return body

    @staticmethod
    def _check(r: requests.Response, body: object) -> None:
        if r.status_code >= 500 or r.status_code in (408, 409, 429):
            raise FhirUnavailable(f"Máy chủ FHIR tạm thời lỗi (HTTP {r.status_code}).")
        if r.status_code >= 400:
            reason = outcome_text(body)
            if not reason:  # not a FHIR answer (a proxy, a login page): nothing was judged, try again later
                raise FhirUnavailable(
                    f"Máy chủ FHIR trả lời HTTP {r.status_code} không kèm OperationOutcome."
                )
            raise FhirRejected(f"HTTP {r.status_code}: {reason}")

    @staticmethod
    def _json(r: requests.Response) -> object:
        try:
            return r.json()
        except ValueError:
            return None

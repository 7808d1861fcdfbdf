"""The hub's HTTP API, ``/api/v1`` (FastAPI). ``create_app(store)`` builds it; ``sync/openapi.json`` is its spec.

No personal data ever travels in a URL (cursors and limits only); the device credential travels in the
``Authorization`` header and the hub keeps only its hash. ``sync.hub.limits.Gate`` stands in front of the app:
it authenticates and applies the size and rate limits before anything of a body is read. Error answers carry a
message and the location of a problem, never what the request sent.
"""

# No ``from __future__ import annotations`` here: FastAPI reads these annotations at run time.
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sync.hub.errors import TooMany
from sync.hub.items import INT64_MAX
from sync.hub.limits import AUTH_FAILURES_PER_MINUTE, ENROLL_PER_MINUTE, MAX_BODY, Gate
from sync.hub.schemas import (
    ChangesAnswer,
    DeviceKeyAnswer,
    DeviceKeyRequest,
    EnrollAnswer,
    EnrollRequest,
    ErrorAnswer,
    Health,
    MohStatusAnswer,
    PushAnswer,
    PushRequest,
    StationItemsAnswer,
)
from sync.hub.store import DeviceInfo, HubError, HubStore
from sync.protocol import API_PREFIX, API_VERSION, MAX_PULL_LIMIT

_bearer = HTTPBearer(
    auto_error=False,
    description="The device credential issued at enrolment. It is checked from the headers alone, before "
    "any of the body is read; the hub keeps only its SHA-256.",
)
_REFUSALS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorAnswer, "description": "body larger than the limit (8 MiB), said before it is read"},
    422: {
        "description": "body or parameters of the wrong shape; the answer names where, never what was sent"
    },
    429: {
        "model": ErrorAnswer,
        "description": "too many failed authentications or enrolment attempts from this address "
        "(`Retry-After` says when to try again)",
    },
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorAnswer, "description": "device not enrolled (unknown credential)"},
    403: {"model": ErrorAnswer, "description": "device revoked, or its station no longer registered"},
    **_REFUSALS,
}

TRUST_MODEL = """Station ↔ city hub sync for KSK Desktop: enrolment, idempotent push with per-item answers, pull of
roster updates and merges since a cursor.

**What the hub trusts.** Nothing a device says about itself. The hub administrator registers each station
(station code, the communes it serves, facility codes) and issues one-time enrolment codes for it; a device's
station and communes come from that registry, never from the enrolment request. A person belongs to the
station serving their commune (one station per commune).

* A device reads only its own station's people and changes (`/changes`), and only the items its station's
  other devices delivered (`/station-items`).
* It writes only records its station owns: a person of another station sent by id is refused
  (`not_your_station`), a person cannot be moved to a commune its station does not serve
  (`commune_not_served`), a consent, appointment, exam, amendment or referral is accepted only for a person of
  the station, and an entity id another station sent first is refused.
* Every exam and amendment must carry a valid Ed25519 signature by a doctor's key that the same station
  registered (a `doctor_key` item: public key, the doctor's user name, full name and licence number, and the
  key's own signature over them) for the doctor named as signer; anything else is refused with its reason
  (`unsigned_exam`, `unknown_signer_key`, `foreign_signer_key`, `signer_mismatch`, `bad_signature`,
  `legacy_key_not_allowed`, `signer_key_pending`) and never forwarded to the health record. The hub
  administrator approves each key after checking the doctor's name and licence number; until then a new
  doctor's exams are kept but not forwarded.
* A submitted report (`report` item) is accepted only for the device's own station and a commune it serves,
  with figures matching the SHA-256 the station froze them with (`not_your_station`, `commune_not_served`,
  `bad_digest`, `bad_report`); a version once received is never replaced (`report_version_exists`).
* A person registered at another station (same personal ID) is answered `known_elsewhere`: the station's
  record is linked, nothing of the other record is returned or pulled, and a handover request waits for the
  hub administrator, who releases or refuses it.
* The hub refuses before it reads: the credential is checked from the headers before the body, bodies above
  8 MiB are answered 413 unread, repeated failed authentications and enrolment attempts from one address are
  answered 429, each item's payload has its own size and nesting limit, and error answers never echo what
  the request sent."""


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 without the ``input`` (and ``ctx``/``url``) it would echo: the type, where, and a message."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [
        {
            "type": e.get("type"),
            "loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())][:8],
            "msg": e.get("msg"),
        }
        for e in errors[:20]
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def create_app(
    store: HubStore,
    *,
    max_body: int = MAX_BODY,
    enroll_per_minute: int = ENROLL_PER_MINUTE,
    auth_failures_per_minute: int = AUTH_FAILURES_PER_MINUTE,
) -> FastAPI:
    app = FastAPI(
        title="KSK city hub API",
        version=API_VERSION,
        description=TRUST_MODEL,
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
    )
    app.state.store = store
    app.add_middleware(
        Gate,
        authenticate=store.authenticate,
        max_body=max_body,
        enroll_per_minute=enroll_per_minute,
        auth_failures_per_minute=auth_failures_per_minute,
    )
    app.add_exception_handler(RequestValidationError, _validation_error)

    @app.exception_handler(HubError)
    async def _hub_error(_request: Request, exc: HubError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooMany) else None
        return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=headers)

    def device(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> DeviceInfo:
        known = getattr(request.state, "device", None)  # the gate authenticated it from the headers
        if isinstance(known, DeviceInfo):
            return known
        return store.authenticate(credentials.credentials if credentials else None)

    @app.get(f"{API_PREFIX}/health", response_model=Health, tags=["hub"])
    def health() -> Health:
        return Health(api=API_VERSION, time=store.clock().isoformat() + "Z")

    @app.post(
        f"{API_PREFIX}/enroll",
        response_model=EnrollAnswer,
        tags=["devices"],
        responses={
            403: {
                "model": ErrorAnswer,
                "description": "wrong, used or expired code, or a code of another station",
            },
            409: {
                "model": ErrorAnswer,
                "description": "the station's commune is not one the hub's registry has for it (the code stays "
                "unused)",
            },
            **_REFUSALS,
        },
    )
    def enroll(body: EnrollRequest) -> EnrollAnswer:
        device_id, token = store.enroll(body.code, body.station_code, body.station_id, body.commune_code)
        dev = store.authenticate(token)
        return EnrollAnswer(
            device_id=device_id, token=token, station_code=dev.station_code, commune_codes=list(dev.communes)
        )

    @app.post(
        f"{API_PREFIX}/push",
        response_model=PushAnswer,
        tags=["sync"],
        responses=_ERRORS,
        response_model_exclude_none=True,
        description="Deliver outbox items; one answer per item, in order. Each item is authorized on its own: "
        "only records of the device's station are written (`not_your_station`, `commune_not_served`, "
        "`unknown_person` otherwise), a person another station holds is answered `known_elsewhere`, an exam "
        "or amendment needs a valid signature by a doctor's key the station registered (`doctor_key` items; "
        "`bad_signature`, `unknown_signer_key`… otherwise), and a payload above its kind's size or nesting "
        "limit is refused (`payload_too_large`, `payload_too_deep`, `bad_text`).",
    )
    def push(body: PushRequest, dev: Annotated[DeviceInfo, Depends(device)]) -> PushAnswer:
        results = store.push(dev, [it.model_dump() for it in body.items])
        return PushAnswer.model_validate({"results": results, "count": len(results)})

    @app.get(
        f"{API_PREFIX}/changes",
        response_model=ChangesAnswer,
        tags=["sync"],
        responses=_ERRORS,
        description="Changes after a cursor for the device's station only: roster updates of the people of the "
        "communes it serves (made by its other devices or by a handover), and merges of its own records.",
    )
    def changes(
        dev: Annotated[DeviceInfo, Depends(device)],
        cursor: Annotated[int, Query(ge=0, le=INT64_MAX, description="last seq applied (0 at first)")] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 500,
    ) -> ChangesAnswer:
        return ChangesAnswer(**store.changes(dev, cursor, limit))

    @app.get(
        f"{API_PREFIX}/station-items",
        response_model=StationItemsAnswer,
        tags=["sync"],
        responses=_ERRORS,
        description="The station feed: campaigns, sites, exam days, follow-up status changes, consents, appointments, signed exams and "
        "amendments, referrals and doctors' keys that the other devices of the device's station delivered after a cursor, in the hub's "
        "order, with the station's devices and when each was last heard from. Never another station's items, "
        "never the device's own.",
    )
    def station_items(
        dev: Annotated[DeviceInfo, Depends(device)],
        cursor: Annotated[int, Query(ge=0, le=INT64_MAX, description="last seq applied (0 at first)")] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 500,
    ) -> StationItemsAnswer:
        return StationItemsAnswer(**store.station_items(dev, cursor, limit))

    @app.post(
        f"{API_PREFIX}/device-key",
        response_model=DeviceKeyAnswer,
        tags=["devices"],
        responses={
            409: {"model": ErrorAnswer, "description": "the device registered another key already"},
            **_ERRORS,
        },
        description="Register the device's Ed25519 public key (once; the same key again is fine) and receive the "
        "station's transfer key: transfer files are encrypted to the station and signed by the sending device.",
    )
    def device_key(body: DeviceKeyRequest, dev: Annotated[DeviceInfo, Depends(device)]) -> DeviceKeyAnswer:
        return DeviceKeyAnswer(**store.register_device_key(dev, body.public_key))

    @app.get(
        f"{API_PREFIX}/moh-status",
        response_model=MohStatusAnswer,
        tags=["sync"],
        responses=_ERRORS,
        description="What became of the station's QĐ 1551 envelopes at the Ministry (`moh_push` items): state, "
        "the Ministry's answer code and message, the 24-hour deadline and whether it was missed.",
    )
    def moh_status(dev: Annotated[DeviceInfo, Depends(device)]) -> MohStatusAnswer:
        return MohStatusAnswer(**store.moh_status(dev.station_code))

    from sync.hub import report_web  # the Health Department's read-only /reports pages

    report_web.install(app, store)
    return app

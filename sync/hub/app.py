"""The hub's HTTP API, ``/api/v1`` (FastAPI). ``create_app(store)`` builds it; ``sync/openapi.json`` is its spec.

No personal data ever travels in a URL (cursors and limits only); the device credential travels in the
``Authorization`` header and the hub keeps only its hash.
"""

# No ``from __future__ import annotations`` here: FastAPI reads these annotations at run time.
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sync.hub.schemas import (
    ChangesAnswer,
    EnrollAnswer,
    EnrollRequest,
    ErrorAnswer,
    Health,
    PushAnswer,
    PushRequest,
)
from sync.hub.store import DeviceInfo, HubError, HubStore
from sync.protocol import API_PREFIX, API_VERSION, MAX_PULL_LIMIT

_bearer = HTTPBearer(auto_error=False, description="device credential issued at enrolment")
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorAnswer, "description": "device not enrolled"},
    403: {"model": ErrorAnswer, "description": "device revoked"},
}


def create_app(store: HubStore) -> FastAPI:
    app = FastAPI(
        title="KSK city hub API",
        version=API_VERSION,
        description="Station ↔ city hub sync for KSK Desktop: enrolment, idempotent push with per-item "
        "answers, pull of roster updates and merges since a cursor.",
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
    )
    app.state.store = store

    @app.exception_handler(HubError)
    async def _hub_error(_request: Request, exc: HubError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)

    def device(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> DeviceInfo:
        return store.authenticate(credentials.credentials if credentials else None)

    @app.get(f"{API_PREFIX}/health", response_model=Health, tags=["hub"])
    def health() -> Health:
        return Health(api=API_VERSION, time=store.clock().isoformat() + "Z")

    @app.post(
        f"{API_PREFIX}/enroll",
        response_model=EnrollAnswer,
        tags=["devices"],
        responses={403: {"model": ErrorAnswer, "description": "wrong, used or expired code"}},
    )
    def enroll(body: EnrollRequest) -> EnrollAnswer:
        device_id, token = store.enroll(body.code, body.station_code, body.station_id, body.commune_code)
        return EnrollAnswer(device_id=device_id, token=token, station_code=body.station_code)

    @app.post(
        f"{API_PREFIX}/push",
        response_model=PushAnswer,
        tags=["sync"],
        responses=_ERRORS,
        response_model_exclude_none=True,
    )
    def push(body: PushRequest, dev: Annotated[DeviceInfo, Depends(device)]) -> PushAnswer:
        results = store.push(dev, [it.model_dump() for it in body.items])
        return PushAnswer.model_validate({"results": results, "count": len(results)})

    @app.get(f"{API_PREFIX}/changes", response_model=ChangesAnswer, tags=["sync"], responses=_ERRORS)
    def changes(
        dev: Annotated[DeviceInfo, Depends(device)],
        cursor: Annotated[int, Query(ge=0, description="last seq applied (0 at first)")] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 500,
    ) -> ChangesAnswer:
        return ChangesAnswer(**store.changes(dev, cursor, limit))

    return app

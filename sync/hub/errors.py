"""The hub's expected refusals, each with the HTTP status the API answers (``sync.hub.app`` turns them into
``{"detail": message}``). Messages are Vietnamese and never carry what the request sent."""

from __future__ import annotations


class HubError(Exception):
    """An expected refusal, with the HTTP status the API answers."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadEnrollCode(HubError):
    status = 403


class Unauthorized(HubError):
    status = 401


class Revoked(HubError):
    status = 403


class Conflict(HubError):
    """The request contradicts what the hub's registry says (a station claiming a commune it does not serve)."""

    status = 409


class NotFound(HubError):
    status = 404


class TooLarge(HubError):
    status = 413


class TooMany(HubError):
    """Too many requests from one address (enrolment attempts, failed authentications): wait and try again."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

"""Errors services raise; the API maps them to HTTP statuses and the CLI to a one-line
message on standard error with a non-zero exit status."""

from __future__ import annotations


class SafeharborError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(SafeharborError):
    status = 422


class NotFound(SafeharborError):
    status = 404


class Forbidden(SafeharborError):
    status = 403


class Unauthorized(SafeharborError):
    status = 401


class Conflict(SafeharborError):
    status = 409

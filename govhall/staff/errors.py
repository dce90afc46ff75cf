"""Errors of the staff app carry the HTTP status they mean and a reason people can read."""

from __future__ import annotations


class StaffError(Exception):
    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Invalid(StaffError):
    status = 422


class Forbidden(StaffError):
    status = 403


class NotFound(StaffError):
    status = 404


class Conflict(StaffError):
    status = 409

"""Queueing errors carry the HTTP status they mean and a reason people can read."""

from __future__ import annotations


class QueueError(Exception):
    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(QueueError):
    status = 404


class Conflict(QueueError):
    status = 409


class Unprocessable(QueueError):
    status = 422


class Forbidden(QueueError):
    status = 403


class TooManyRequests(QueueError):
    status = 429

"""Errors of the staff app are the project's service errors (`govhall.queueing.errors`): each carries
the HTTP status it means and a reason people can read, and the API turns any of them into that
status with `{"detail": reason}`. The names here are the staff app's words for them."""

from __future__ import annotations

from govhall.queueing.errors import Conflict, Forbidden, NotFound
from govhall.queueing.errors import QueueError as StaffError
from govhall.queueing.errors import Unprocessable as Invalid

__all__ = ["Conflict", "Forbidden", "Invalid", "NotFound", "StaffError"]

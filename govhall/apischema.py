"""What every API router answers on refusal: `{"detail": reason}` with a 4xx status.

One schema for all routers, so the OpenAPI document has one `Detail` and every endpoint documents
its refusals the same way (`response={200: Out, **ERRORS}`).
"""

from __future__ import annotations

from typing import Any

from ninja import Schema


class Detail(Schema):
    detail: Any


ERRORS: dict[int, type[Schema]] = {
    400: Detail,
    401: Detail,
    403: Detail,
    404: Detail,
    409: Detail,
    422: Detail,
    429: Detail,
}

"""A fixed-window rate limit per client address for public endpoints; loopback is exempt by default."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from govhall import clock
from govhall.queueing.errors import TooManyRequests


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or ""


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def check(request: HttpRequest, bucket: str) -> None:
    limit = settings.GOVHALL["RATE_LIMIT_PER_MINUTE"]
    address = client_address(request)
    if limit <= 0 or (is_loopback(address) and not settings.GOVHALL["RATE_LIMIT_LOOPBACK"]):
        return
    minute = int(clock.now().timestamp() // 60)
    key = f"govhall:rl:{bucket}:{address}:{minute}"
    if cache.add(key, 1, 120):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, 120)
            count = 1
    if count > limit:
        raise TooManyRequests(f"too many requests from {address}: at most {limit} a minute")

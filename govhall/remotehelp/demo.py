"""Demo 远程帮办 network: every service point may handle, by video, the matters its own centre or
the centres above it handle (at most 40 a point, those also listed for village level first).

Called by the demo loader: `load(rng, now)`. Idempotent (it sets the list, it does not add to it).
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from govhall.catalog.queries import matters_by_code
from govhall.halls.models import ServicePoint, ZoneMatter
from govhall.remotehelp import services
from govhall.remotehelp.models import RemoteMatter

PER_POINT = 40


def load(rng: random.Random, now: dt.datetime) -> None:
    with transaction.atomic():
        for point in ServicePoint.objects.select_related("hall").exclude(kind=ServicePoint.Kind.KIOSK):
            halls = services.target_halls(point)
            codes = sorted(
                set(ZoneMatter.objects.filter(hall__in=halls).values_list("matter_code", flat=True))
            )
            known = matters_by_code(codes)
            village = [c for c in codes if c in known and "village" in (known[c].levels or [])]
            rest = [c for c in codes if c in known and c not in village]
            chosen = village[:PER_POINT] + rng.sample(rest, min(len(rest), max(0, PER_POINT - len(village))))
            RemoteMatter.objects.filter(point=point).delete()
            RemoteMatter.objects.bulk_create(RemoteMatter(point=point, matter_code=c) for c in sorted(chosen))

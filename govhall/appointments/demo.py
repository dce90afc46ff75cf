"""Demo data: slots for the coming days in every hall and some invented bookings.

`load(rng, now)` is idempotent in effect (slots are planned once per zone and start; bookings are
only added while a hall has fewer than a handful), and uses only invented people: subjects are
"demo-citizen-N" pseudonyms and phones are random numbers of the 139 range.
"""

from __future__ import annotations

import datetime as dt
import random

from govhall import clock
from govhall.appointments import details, services
from govhall.appointments.models import Booking, Slot
from govhall.halls.models import Hall, ZoneMatter
from govhall.queueing.errors import QueueError

BOOKINGS_PER_HALL = 24


def load(rng: random.Random, now: dt.datetime | None = None) -> None:
    now = now or clock.now()
    services.plan_ahead(now)
    for hall in Hall.objects.order_by("code"):
        matters = list(ZoneMatter.objects.filter(hall=hall).values_list("matter_code", "zone_id"))
        if not matters or Booking.objects.filter(hall=hall).count() >= BOOKINGS_PER_HALL:
            continue
        days = services.bookable_days(hall, now)[:4]
        for n in range(BOOKINGS_PER_HALL):
            matter_code, zone_id = rng.choice(matters)
            slots = list(
                Slot.objects.filter(hall=hall, zone_id=zone_id, day__in=days, start__gt=now).values_list(
                    "pk", flat=True
                )
            )
            if not slots:
                continue
            extras = {}
            if n % 4 == 0:
                extras = details.clean_extras(
                    hall,
                    identity={"kind": "e_certificate", "reference": f"ZJ-DEMO-{rng.randrange(10**9):09d}"},
                )
            phone = f"139{rng.randrange(10**8):08d}" if n % 3 else ""
            try:
                booking = services.book(
                    hall,
                    matter_code=matter_code,
                    slot_id=rng.choice(slots),
                    subject=f"demo-citizen-{hall.code}-{n}",
                    phone=phone,
                    extras=extras,
                )
            except QueueError:
                continue  # a full slot or a repeat: the demo just books fewer
            if n % 10 == 9:
                services.cancel(booking.code, "本人取消（演示）")

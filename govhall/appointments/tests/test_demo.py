"""The demo loader plans slots and books for invented people only."""

from __future__ import annotations

import random

import pytest
import time_machine

from govhall.appointments import demo
from govhall.appointments.models import Booking, Slot
from govhall.appointments.tests.conftest import MONDAY_8AM
from govhall.halls.models import Hall

pytestmark = pytest.mark.django_db


def test_demo_loads_slots_and_bookings_once(city: Hall) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False):
        demo.load(random.Random(7), MONDAY_8AM)
        slots, bookings = Slot.objects.count(), Booking.objects.count()
        demo.load(random.Random(8), MONDAY_8AM)
    assert slots > 100 and 10 <= bookings <= 2 * demo.BOOKINGS_PER_HALL
    assert Booking.objects.count() == bookings  # a second load adds nothing
    assert Booking.objects.filter(status="cancelled").exists()
    assert all(b.phone_masked.startswith("139****") for b in Booking.objects.exclude(phone=""))
    assert Booking.objects.exclude(extras={}).filter(extras__identity__kind="e_certificate").exists()
    assert sum(s.booked for s in Slot.objects.all()) == Booking.objects.filter(status="booked").count()

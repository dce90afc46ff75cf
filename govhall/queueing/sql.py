"""The hottest statements of the queue, in plain SQL.

Every ticket in the city pays for issue, call-next, start and finish. Measured under
`bench/request_cost.py`, the ORM spent 0.5–1 ms of CPU composing each of their queries (joins,
lookups, locks) against ~0.1 ms to send and read them, and these calls make 7–11 queries each.
So their statements are written here once, for PostgreSQL and SQLite alike (table and column
names come from the models), and their rows come back as model instances through the database
backend's own converters: callers get what the ORM would give them. Everything else keeps the ORM.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from govhall.halls.models import Hall, Window, Zone
from govhall.queueing.models import AT_WINDOW, Status, Ticket, TicketEvent

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[Model]) -> str:
    return qn(model._meta.db_table)


def _converters(field: Field[Any, Any], db: BaseDatabaseWrapper) -> list[Converter]:
    """The converters the ORM applies to this field's column (the same two sources, in order)."""
    col = field.cached_col
    return [*db.ops.get_db_converters(col), *col.get_db_converters(db)]


class Rows(Generic[M]):
    """Instances of a model from plain-SQL rows that list its concrete columns in order."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.names = [f.attname for f in self.fields]
        self.width = len(self.fields)
        self.pk = self.fields.index(model._meta.pk)
        # per connection (one per thread): converters are methods of the connection's operations
        self._converters: weakref.WeakKeyDictionary[
            BaseDatabaseWrapper, list[tuple[int, list[Converter]]]
        ] = weakref.WeakKeyDictionary()

    def columns(self, alias: str | None = None) -> str:
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + qn(f.column) for f in self.fields)

    def load(self, row: Sequence[Any], start: int = 0) -> M | None:
        """The instance in `row[start:start + width]`; None for the empty side of an outer join."""
        values = list(row[start : start + self.width])
        if values[self.pk] is None:
            return None
        db = connections[DEFAULT_DB_ALIAS]
        converters = self._converters.get(db)
        if converters is None:
            converters = [(i, c) for i, f in enumerate(self.fields) if (c := _converters(f, db))]
            self._converters[db] = converters
        for i, functions in converters:
            value = values[i]
            for convert in functions:
                value = convert(value, self.fields[i].cached_col, db)
            values[i] = value
        return self.model.from_db(DEFAULT_DB_ALIAS, self.names, values)


TICKETS, HALLS, ZONES, WINDOWS = Rows(Ticket), Rows(Hall), Rows(Zone), Rows(Window)
EVENT_FIELDS = [f for f in TicketEvent._meta.concrete_fields if not f.primary_key]
QUEUED_AT = next(f for f in Ticket._meta.concrete_fields if f.name == "queued_at")


def prepared(model: type[Model], name: str, value: Any) -> Any:
    """A value as the ORM would send it for this field (SQLite wants times as UTC text)."""
    return model._meta.get_field(name).get_db_prep_save(value, connection)  # type: ignore[union-attr]


def attach(instance: Model, name: str, related: Model | None) -> None:
    """Set a foreign key's cached object, as select_related does (no query when it is read)."""
    type(instance)._meta.get_field(name).set_cached_value(instance, related)  # type: ignore[union-attr]


def one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def locking(of: str, *, skip_locked: bool = False) -> str:
    """A row lock clause on PostgreSQL; SQLite's IMMEDIATE transaction already holds the write lock.

    NO KEY UPDATE, the lock PostgreSQL's own UPDATE of non-key columns takes: it excludes every
    other writer of the row but not the KEY SHARE lock a transaction takes on a row it references
    (an audit row, a wait prediction being stored for each waiting ticket), so a call neither
    waits for nor skips a ticket merely referenced by work in flight."""
    if connection.vendor != "postgresql":
        return ""
    return f" FOR NO KEY UPDATE OF {of}" + (" SKIP LOCKED" if skip_locked else "")


def in_list(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


# --- reads ------------------------------------------------------------------------------------


@functools.cache
def _in_hall_sql(rows: Rows[Any], vendor: str) -> str:
    return (
        f"SELECT {rows.columns('x')}, {HALLS.columns('h')} FROM {table(rows.model)} x "
        f"JOIN {table(Hall)} h ON h.id = x.hall_id WHERE h.code = %s AND x.code = %s"
    )


def _in_hall(rows: Rows[M], hall_code: str, code: str) -> M | None:
    """A hall's window or zone by the two codes, with its hall attached, in one query."""
    row = one(_in_hall_sql(rows, connection.vendor), [hall_code, code])
    if row is None:
        return None
    found = rows.load(row)
    assert found is not None
    attach(found, "hall", HALLS.load(row, rows.width))
    return found


def window_with_hall(hall_code: str, window_code: str) -> Window | None:
    return _in_hall(WINDOWS, hall_code, window_code)


def zone_with_hall(hall_code: str, zone_code: str) -> Zone | None:
    return _in_hall(ZONES, hall_code, zone_code)


def position(ticket: Ticket) -> int:
    """Waiting tickets ahead of this one in its zone's line (priority first, then queue time)."""
    queued = prepared(Ticket, "queued_at", ticket.queued_at)
    row = one(
        f"SELECT COUNT(*) FROM {table(Ticket)} WHERE zone_id = %s AND status = %s AND (priority > %s "
        "OR (priority = %s AND (queued_at < %s OR (queued_at = %s AND serial < %s))))",
        [ticket.zone_id, Status.WAITING, ticket.priority, ticket.priority, queued, queued, ticket.serial],
    )
    return int(row[0]) if row else 0


# --- call-next --------------------------------------------------------------------------------


def lock_window(window: Window) -> tuple[str, str] | None:
    """Lock the window's row (one call at a time per window), refresh its state and priority
    streak in place, and return the number and status of the ticket at its counter, if any.
    Raises Window.DoesNotExist when the window is gone."""
    row = one(
        f"SELECT w.state, w.priority_streak, t.number, t.status FROM {table(Window)} w "
        f"LEFT JOIN {table(Ticket)} t ON t.window_id = w.id AND t.status IN ({in_list(AT_WINDOW)}) "
        f"WHERE w.id = %s{locking('w')}",
        [*AT_WINDOW, window.pk],
    )
    if row is None:
        raise Window.DoesNotExist
    window.state, window.priority_streak = row[0], row[1]
    return (row[2], row[3]) if row[2] is not None else None


@functools.cache
def _candidates_sql(vendor: str) -> str:
    through = Window.zones.through
    return (
        f"SELECT ticket_id, ticket_priority, ticket_queued_at, {ZONES.columns('lines')} FROM ("
        "SELECT t.id AS ticket_id, t.priority AS ticket_priority, t.queued_at AS ticket_queued_at, "
        f"t.serial AS ticket_serial, {ZONES.columns('z')}, ROW_NUMBER() OVER "
        "(PARTITION BY t.zone_id, t.priority ORDER BY t.queued_at, t.serial) AS place "
        f"FROM {table(Ticket)} t JOIN {table(through)} wz ON wz.zone_id = t.zone_id "
        f"JOIN {table(Zone)} z ON z.id = t.zone_id WHERE wz.window_id = %s AND t.status = %s"
        ") lines WHERE place <= %s ORDER BY ticket_queued_at, ticket_serial"
    )


def candidates(window: Window, per_line: int) -> list[tuple[str, int, Any, Zone]]:
    """The first `per_line` waiting tickets of each line (zone × priority) this window serves, as
    (id, priority, queued_at, zone), in queue order (queue time, then number)."""
    with connection.cursor() as cursor:
        cursor.execute(_candidates_sql(connection.vendor), [window.pk, Status.WAITING, per_line])
        rows = cursor.fetchall()
    if not rows:
        return []
    db = connections[DEFAULT_DB_ALIAS]
    convert = _converters(QUEUED_AT, db)
    zones: dict[Any, Zone] = {}
    out = []
    for row in rows:
        zone = zones.get(row[3 + ZONES.pk]) or ZONES.load(row, 3)
        assert zone is not None
        zones[zone.pk] = zone
        queued = row[2]
        for function in convert:
            queued = function(queued, QUEUED_AT.cached_col, db)
        out.append((row[0], row[1], queued, zone))
    return out


def claim(order: Sequence[str], window: Window, now: Any, *, wait: bool = False) -> Ticket | None:
    """Call the first ticket of `order` that still waits, in one statement. On PostgreSQL a ticket
    another transaction holds (another window claiming it) is stepped over, or with `wait` waited
    for: once that transaction ends the ticket is taken if it still waits, else the next one is.
    A transferred ticket keeps its first `called_at`: a wait ends at the first call."""
    at = prepared(Ticket, "last_called_at", now)
    row = one(
        f"UPDATE {table(Ticket)} SET status = %s, window_id = %s, window_code = %s, last_called_at = %s, "
        "called_at = COALESCE(called_at, %s) WHERE id = ("
        f"SELECT c.id FROM {table(Ticket)} c WHERE c.id IN ({in_list(order)}) AND c.status = %s "
        f"ORDER BY CASE c.id {' '.join(['WHEN %s THEN %s'] * len(order))} END "
        f"LIMIT 1{locking('c', skip_locked=not wait)}) RETURNING {TICKETS.columns()}",
        [
            Status.CALLED,
            window.pk,
            window.code,
            at,
            at,
            *order,
            Status.WAITING,
            *(value for rank, tid in enumerate(order) for value in (tid, rank)),
        ],
    )
    return TICKETS.load(row) if row is not None else None


# --- ticket actions -------------------------------------------------------------------------


@functools.cache
def _ticket_sql(vendor: str, where: str, lock: bool) -> str:
    return (
        f"SELECT {TICKETS.columns('t')}, {HALLS.columns('h')}, {ZONES.columns('z')}, "
        f"{WINDOWS.columns('w')} FROM {table(Ticket)} t JOIN {table(Hall)} h ON h.id = t.hall_id "
        f"JOIN {table(Zone)} z ON z.id = t.zone_id LEFT JOIN {table(Window)} w ON w.id = t.window_id "
        f"WHERE {where}{locking('t') if lock else ''}"
    )


def _ticket(where: str, params: Sequence[Any], *, lock: bool = False) -> Ticket | None:
    """One ticket with its hall, zone and window (`where` is a constant condition on `t`)."""
    row = one(_ticket_sql(connection.vendor, where, lock), params)
    if row is None:
        return None
    ticket = TICKETS.load(row)
    assert ticket is not None
    start = TICKETS.width
    attach(ticket, "hall", HALLS.load(row, start))
    attach(ticket, "zone", ZONES.load(row, start + HALLS.width))
    attach(ticket, "window", WINDOWS.load(row, start + HALLS.width + ZONES.width))
    return ticket


def lock_ticket(ticket_id: str) -> Ticket | None:
    """The ticket with its hall, zone and window, its row locked until commit."""
    return _ticket("t.id = %s", [ticket_id], lock=True)


def ticket_by_key(hall: Hall, idempotency_key: str) -> Ticket | None:
    """The hall's ticket issued with this Idempotency-Key (a resend), with its hall, zone, window."""
    return _ticket("t.hall_id = %s AND t.idempotency_key = %s", [hall.pk, idempotency_key])


def update(instance: Model, fields: Sequence[str]) -> None:
    """`instance.save(update_fields=fields)` in one plain UPDATE by primary key."""
    model = type(instance)
    chosen = [f for f in model._meta.concrete_fields if f.name in fields]
    assert len(chosen) == len(set(fields)), f"unknown fields in {fields}"
    pk = model._meta.pk
    assert pk is not None
    values = [f.get_db_prep_save(f.pre_save(instance, False), connection) for f in chosen]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table(model)} SET {', '.join(f'{qn(f.column)} = %s' for f in chosen)} "
            f"WHERE {qn(pk.column)} = %s",
            [*values, instance.pk],
        )


def insert(instance: Model) -> None:
    """`instance.save()` of a new row whose primary key is set, in one plain INSERT."""
    model = type(instance)
    fields = model._meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table(model)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({in_list(fields)})",
            [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields],
        )
    instance._state.adding, instance._state.db = False, DEFAULT_DB_ALIAS


def insert_event(**values: Any) -> None:
    """One audit row (TicketEvent) by field name; its id is left to the database."""
    event = TicketEvent(**values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table(TicketEvent)} ({', '.join(qn(f.column) for f in EVENT_FIELDS)}) "
            f"VALUES ({in_list(EVENT_FIELDS)})",
            [f.get_db_prep_save(f.pre_save(event, True), connection) for f in EVENT_FIELDS],
        )

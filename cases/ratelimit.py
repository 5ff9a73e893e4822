"""A rate limiter shared by every process, counted in the database.

`claim(key, seconds)` counts one more event for `key` in the current window of that many
seconds (a second for Notify sends, a quarter of an hour for citizens' lookups and staff
sign-ins) and returns the count so far: one upsert. Each window row knows when it ends,
so `prune` removes only windows that are over, whatever their size.

`claim_some` is `claim` for a limit far above one event: a process writes its count every
few events, so a busy API key costs an upsert every dozen requests, not every request.

`acquire` blocks until an event may happen at no more than `limit` a second; `pause`
fills the coming seconds, so every process holds off (Notify answering 429). 49 a second
keeps any 60-second span — which touches at most 61 one-second windows — under Notify's
3,000 a minute.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable

from django.db import connection

from cases.models import RateWindow


@functools.cache
def _upsert_sql() -> str:
    q = connection.ops.quote_name
    table, key, window, count, ends = (
        q(n) for n in (RateWindow._meta.db_table, "key", "window", "count", "ends_at")
    )
    # Quoted identifiers only; the values are query parameters.
    sql = "INSERT INTO {t} ({k}, {w}, {c}, {e}) VALUES (%s, %s, %s, %s) ON CONFLICT ({k}, {w}) "
    sql += "DO UPDATE SET {c} = {t}.{c} + EXCLUDED.{c} RETURNING {c}"
    return sql.format(t=table, k=key, w=window, c=count, e=ends)


def _window(seconds: int, now: float) -> tuple[int, int]:
    """The number of the window `now` falls in, and when it ends (epoch seconds)."""
    number = int(now // seconds)
    return number, (number + 1) * seconds


def _windowed(key: str, seconds: int) -> str:
    # Windows of different sizes under one key must not share a number.
    return key if seconds == 1 else f"{key}/{seconds}s"


def claim(key: str, seconds: int, *, now: float | None = None, events: int = 1) -> int:
    """Counts `events` more for `key` in the current `seconds`-long window; the count so far."""
    number, ends_at = _window(seconds, time.time() if now is None else now)
    with connection.cursor() as cursor:  # one statement: atomic by itself
        cursor.execute(_upsert_sql(), [_windowed(key, seconds), number, events, ends_at])
        return cursor.fetchone()[0]


# This process's events not yet written, by windowed key: (window, count seen, unwritten).
_unwritten: dict[str, tuple[int, int, int]] = {}
_unwritten_lock = threading.Lock()


def claim_some(key: str, seconds: int, *, limit: int, now: float | None = None) -> int:
    """`claim` for a limit of `limit` a window, writing this process's events every
    `limit // 100` (at most 20) while far under the limit and every one near it. The count
    returned is short by at most the other processes' unwritten events: fewer than that
    batch each."""
    now = time.time() if now is None else now
    number, _ends = _window(seconds, now)
    batch = max(1, min(20, limit // 100))
    name = _windowed(key, seconds)
    with _unwritten_lock:
        window, seen, unwritten = _unwritten.get(name, (number, 0, 0))
        if window != number:  # a new window: what the old one had no longer counts
            seen, unwritten = 0, 0
        unwritten += 1
        if unwritten >= batch or seen + unwritten + batch > limit:
            seen, unwritten = claim(key, seconds, now=now, events=unwritten), 0
        _unwritten[name] = (number, seen, unwritten)
        return seen + unwritten


def count(key: str, seconds: int, *, now: float | None = None) -> int:
    """How many events `key` has in the current window, without adding one."""
    number, _ends = _window(seconds, time.time() if now is None else now)
    found = RateWindow.objects.filter(key=_windowed(key, seconds), window=number)
    return next(iter(found.values_list("count", flat=True)), 0)


def acquire(
    key: str,
    *,
    limit: int,
    within: float | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Blocks until this event may go: its place in some second's window is under `limit`.
    With `within`, waits at most that many seconds: False if no place came in time."""
    deadline = None if within is None else clock() + within
    while True:
        now = clock()
        if claim(key, 1, now=now) <= limit:
            return True
        wait = max(0.0, int(now) + 1 - now)
        if deadline is not None and now + wait > deadline:
            return False
        sleep(wait)


def pause(key: str, seconds: int, *, limit: int, clock: Callable[[], float] = time.time) -> None:
    """Fills the next `seconds` one-second windows so no process acquires on this key
    until they pass."""
    start = int(clock())
    for second in range(start, start + seconds):
        RateWindow.objects.update_or_create(
            key=key, window=second, defaults={"count": limit, "ends_at": second + 1}
        )


def prune(*, now: float | None = None) -> int:
    """Deletes the windows that are over (a scheduled job); a current one is never lost."""
    deleted, _ = RateWindow.objects.filter(
        ends_at__lte=int(time.time() if now is None else now)
    ).delete()
    return deleted

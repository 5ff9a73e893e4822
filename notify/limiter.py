"""A rate limiter shared by every process: at most N sends a second per Notify API key.

`claim(key, window)` counts one more event in a numbered window (any integer bucket: a
second here, a quarter of an hour for the portal's lookups) and returns the count.

Each send claims a place in the current second's window (one upsert). 49 a second keeps
any 60-second span — which touches at most 61 windows — under Notify's 3,000 a minute.
When Notify answers 429, `pause` fills the coming windows, so every worker holds off.
"""

import time

from django.conf import settings
from django.db import connection, transaction

from notify.models import SendWindow


def _upsert_sql() -> str:
    q = connection.ops.quote_name
    table, key, second, count = (
        q(n) for n in (SendWindow._meta.db_table, "key", "second", "count")
    )
    # Quoted identifiers only; the values are query parameters.
    sql = "INSERT INTO {t} ({k}, {s}, {c}) VALUES (%s, %s, 1) ON CONFLICT ({k}, {s}) "
    sql += "DO UPDATE SET {c} = {t}.{c} + 1 RETURNING {c}"
    return sql.format(t=table, k=key, s=second, c=count)


def claim(key: str, window: int) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_upsert_sql(), [key, window])
        return cursor.fetchone()[0]


def acquire(key: str, *, limit: int | None = None, clock=time.time, sleep=time.sleep) -> None:
    """Blocks until this send may go: its place in some second's window is under `limit`."""
    limit = limit or settings.NOTIFY_SENDS_PER_SECOND
    while True:
        now = clock()
        second = int(now)
        if claim(key, second) <= limit:
            return
        sleep(max(0.0, second + 1 - now))


def pause(key: str, seconds: int, *, limit: int | None = None, clock=time.time) -> None:
    """Fills the next `seconds` windows so no worker sends on this key until they pass."""
    limit = limit or settings.NOTIFY_SENDS_PER_SECOND
    start = int(clock())
    for second in range(start, start + seconds):
        SendWindow.objects.update_or_create(key=key, second=second, defaults={"count": limit})


def prune(before_seconds_ago: int = 3600) -> int:
    """Deletes old windows (a scheduled job)."""
    deleted, _ = SendWindow.objects.filter(
        second__lt=int(time.time()) - before_seconds_ago
    ).delete()
    return deleted


def count(key: str, window: int) -> int:
    """How many events this key has in the window, without adding one."""
    found = SendWindow.objects.filter(key=key, second=window).values_list("count", flat=True)
    return next(iter(found), 0)

"""The change feed: every case event gets a place (`FeedEntry.sequence`) in the order the
events committed, so a partner reading `GET /api/v1/events?after=<sequence>` never misses
one that committed late.

A row's ID is not enough on PostgreSQL: two transactions take IDs 10 and 11, the second
commits first, a reader sees 11 and moves past 10 before it is visible. So each event
records the ID of the transaction that wrote it (`CaseEvent.tx`), and `publish` gives
entries only to events of transactions older than the oldest one still running (the
snapshot's xmin): those have all committed or rolled back, and no event can ever join
them. It takes them in (transaction, ID) order, then remembers where it stopped. One run
at a time (an advisory lock on PostgreSQL: a run that finds it taken leaves the work to
the one holding it; SQLite runs one write at a time anyway, and there the IDs are already
in commit order).

`publish` runs before each read of the feed and every minute from the scheduler, so an
event is in the feed within a request or a minute of its commit. A read that publishes
nothing new writes nothing.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Q

from cases.models import CaseEvent, FeedEntry, FeedState

LOCK_KEY = 0x57_61_79_6D_46_65_65_64  # "WaymFeed": this module's advisory lock


def publish() -> int:
    """Gives every event that may now be published its feed entry; how many it gave."""
    with transaction.atomic():
        postgres = connection.vendor == "postgresql"
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
                if not cursor.fetchone()[0]:
                    return 0  # another run is publishing: readers queue behind no one
                cursor.execute(
                    "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, "
                    "pg_current_xact_id_if_assigned()::text::bigint"
                )
                horizon, own = cursor.fetchone()
        state, _created = FeedState.objects.get_or_create(pk=1)  # one row; we hold the lock
        if postgres:
            # Our own transaction's events too (publishing from inside one that wrote
            # some): their entries commit with them, and no one else publishes until then.
            window = Q(tx__gte=state.done_below, tx__lt=horizon) | Q(tx=own)
            events = CaseEvent.objects.filter(window, feed_entry__isnull=True)
            events = events.order_by("tx", "id")
            moved = horizon > state.done_below
            state.done_below = max(state.done_below, horizon)
        else:
            events = CaseEvent.objects.filter(id__gt=state.last_event_id).order_by("id")
        rows = list(events.values_list("id", "case__organisation_id", "case__service"))
        FeedEntry.objects.bulk_create(
            [FeedEntry(event_id=e, organisation_id=o, service=s) for e, o, s in rows],
            batch_size=1000,
        )
        if rows:
            state.last_event_id = max(state.last_event_id, max(row[0] for row in rows))
        if rows or (postgres and moved):  # the horizon may move on with no events
            FeedState.objects.filter(pk=1).update(
                done_below=state.done_below, last_event_id=state.last_event_id
            )
    return len(rows)

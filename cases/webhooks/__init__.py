"""Webhooks out: a council's partners are told of its cases' events as they happen.

The outbox is the change feed itself. Every change to a case writes its `CaseEvent` in
the change's own transaction (`cases.services`), and `cases.feed.publish` gives each
committed event its place (`FeedEntry.sequence`) in commit order: a rolled-back change has
no event, so nothing is ever sent for it. After each commit, and every minute from the
scheduler, `outbox.pump` publishes the feed, makes a `WebhookDelivery` for every
subscription that wants each new entry (moving the subscription's `after_sequence` on in
the same transaction), and sends what is due. A worker that dies loses nothing: the
deliveries are rows, and one whose worker vanished mid-send is taken again once its lease
runs out, with the same `webhook-id`.

- `events`: which event types a case event is, and the payload sent for it;
- `signing`: Standard Webhooks signatures, with a rotated secret still signing for a day;
- `transport`: the POST itself, to public addresses only (checked after resolving, on
  every attempt), no redirects, a capped answer and a hard deadline;
- `outbox`: fan-out, delivery, retries, the failure ladder, redeliver and replay.
"""

from __future__ import annotations


def announce(organisation_id: int) -> None:
    """After a commit that wrote case events: start a pump if the council has anyone to
    tell (the scheduler's pump catches anything this misses). `cases.services` calls this
    rather than `outbox`, which reads the workflows' steps through `cases.services`."""
    from cases.webhooks import outbox

    outbox.announce(organisation_id)

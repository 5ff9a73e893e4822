"""CSV batch sends (`notify.batches`): every row checked and reported by spreadsheet row
number before anything is queued; queuing writes one outbox row per recipient, in chunks,
and never twice."""

import csv
import io
import re

import pytest
from django.core.files.base import ContentFile

from cases.models import ServiceConfig
from config.tasks import enqueue
from notify import batches
from notify.batches import (
    BatchConflict,
    queue_batch,
    queue_batch_task,
    validate_batch,
    validate_batch_task,
)
from notify.models import Batch, Notification
from tests.factories import council

pytestmark = pytest.mark.django_db

MOBILES = [f"07700 9{n:05d}" for n in range(2000)]


def to_csv(*rows, line_end: str = "\n") -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=line_end).writerows(rows)
    return out.getvalue()


def make_batch(content, *, channel="sms", organisation=None, **fields) -> Batch:
    batch = Batch(
        organisation=organisation or council(),
        event=fields.pop("event", "announcement"),
        channel=channel,
        **fields,
    )
    data = content.encode() if isinstance(content, str) else content
    batch.file.save("recipients.csv", ContentFile(data))
    return batch


def sms_csv(count: int) -> str:
    return to_csv(["phone number", "message"], *([MOBILES[n], f"Hello {n}"] for n in range(count)))


def checked(content, **kw) -> Batch:
    batch = validate_batch(make_batch(content, **kw))
    batch.refresh_from_db()
    return batch


def ready(content, **kw) -> Batch:
    batch = checked(content, **kw)
    assert (batch.status, batch.errors) == (Batch.Status.READY, [])
    return batch


# --- Valid files --------------------------------------------------------------------------


def test_a_valid_text_message_file_is_ready_with_its_row_count():
    batch = checked(sms_csv(3))

    assert batch.status == Batch.Status.READY
    assert (batch.rows, batch.error_count, batch.errors) == (3, 0, [])


def test_a_valid_email_file_is_ready():
    content = to_csv(
        ["email address", "subject", "name", "message"],
        ["ann@example.com", "Bin day", "Ann", "Bins go out on Monday."],
        ["bob@example.org", "Bin day", "Bob", "Bins go out on Tuesday."],
    )

    batch = checked(content, channel="email")

    assert (batch.status, batch.rows, batch.error_count) == (Batch.Status.READY, 2, 0)


def test_a_valid_letter_file_is_ready_with_gaps_and_optional_lines():
    content = to_csv(
        [f"address line {n}" for n in range(1, 8)] + ["subject", "name", "message"],
        ["Ann Example", "1 High St", "Northtown", "ab1 2cd", "", "", "", "S", "Ann", "Hi"],
        ["Bob Example", "", "2 Low Rd", "", "Southtown", "", "SW1A1AA", "S", "Bob", "Hi"],
    )

    batch = checked(content, channel="letter")

    assert (batch.status, batch.rows, batch.errors) == (Batch.Status.READY, 2, [])


def test_header_names_are_trimmed_and_case_insensitive_and_other_columns_ignored():
    content = to_csv(
        ["  Phone Number ", "notes", "MESSAGE"],
        [MOBILES[0], "", "Hello"],
    )

    batch = checked(content)

    assert (batch.status, batch.rows) == (Batch.Status.READY, 1)


def test_a_byte_order_mark_and_crlf_line_endings_are_handled():
    content = "\ufeff" + to_csv(["phone number", "message"], [MOBILES[0], "Hi"], line_end="\r\n")
    assert content.encode("utf-8").startswith(b"\xef\xbb\xbf")

    batch = ready(content)
    queue_batch(batch)

    assert batch.rows == 1
    assert Notification.objects.get().personalisation == {"message": "Hi"}


def test_blank_rows_are_skipped_but_keep_the_row_numbers():
    content = to_csv(["phone number", "message"], [MOBILES[0], "Hi"], ["", ""], [], ["12", "Hi"])

    batch = checked(content)

    assert batch.rows == 2
    assert batch.errors == [
        {"row": 5, "column": "phone number", "message": "Not a valid phone number"}
    ]


def test_row_numbers_count_spreadsheet_rows_not_lines():
    """A cell with a line break is one spreadsheet row, though it is two lines of CSV."""
    content = to_csv(["phone number", "message"], [MOBILES[0], "Line one\nLine two"], ["", "Hi"])

    batch = checked(content)

    assert batch.errors == [{"row": 3, "column": "phone number", "message": "Missing phone number"}]


# --- Errors in rows ------------------------------------------------------------------------

EMAIL_HEAD = ["email address", "subject", "name", "message"]
LETTER_HEAD = ["address line 1", "address line 2", "address line 3", "subject", "name", "message"]


@pytest.mark.parametrize(
    ("channel", "header", "bad_row", "column", "message"),
    [
        ("sms", ["phone number", "message"], ["12345", "Hi"], "phone number",
         "Not a valid phone number"),
        ("sms", ["phone number", "message"], ["01632 960 001", "Hi"], "phone number",
         "Not a UK mobile number"),
        ("sms", ["phone number", "message"], ["  ", "Hi"], "phone number",
         "Missing phone number"),
        ("sms", ["phone number", "message"], [MOBILES[9], " "], "message", "Missing message"),
        ("sms", ["phone number", "message"], [MOBILES[9]], "message", "Missing message"),
        ("sms", ["phone number", "message"], [MOBILES[9], "x" * 919], "message",
         "The text message is too long: the most is 918 characters"),
        ("email", EMAIL_HEAD, ["not-an-email", "S", "Ann", "Hi"], "email address",
         "Not a valid email address"),
        ("email", EMAIL_HEAD, ["", "S", "Ann", "Hi"], "email address", "Missing email address"),
        ("email", EMAIL_HEAD, ["a@example.com", "", "Ann", "Hi"], "subject", "Missing subject"),
        ("email", EMAIL_HEAD, ["a@example.com", "S", "", "Hi"], "name", "Missing name"),
        ("email", EMAIL_HEAD, ["a@example.com", "S" * 501, "Ann", "Hi"], "subject",
         "The subject is too long: the most is 500 characters"),
        ("letter", LETTER_HEAD, ["Ann", "AB1 2CD", "", "S", "Ann", "Hi"], "address line 1",
         "The address must have at least 3 lines"),
        ("letter", LETTER_HEAD, ["", "", "", "S", "Ann", "Hi"], "address line 1",
         "Missing address"),
        ("letter", LETTER_HEAD, ["Ann", "1 High St", "Northtown", "S", "Ann", "Hi"],
         "address line 3", "The last line of the address must be a real UK postcode"),
        ("letter", LETTER_HEAD, ["Ann", "1 High St", "AB1 2CD", "S", "", "Hi"], "name",
         "Missing name"),
    ],
)  # fmt: skip
def test_each_kind_of_row_error_is_reported_by_row_and_column(
    channel, header, bad_row, column, message
):
    good = {
        "sms": [MOBILES[1], "Hi"],
        "email": ["ann@example.com", "S", "Ann", "Hi"],
        "letter": ["Ann", "1 High St", "AB1 2CD", "S", "Ann", "Hi"],
    }[channel]
    content = to_csv(header, good, good, bad_row, good)

    batch = checked(content, channel=channel)

    assert batch.status == Batch.Status.INVALID
    assert batch.errors == [{"row": 4, "column": column, "message": message}]
    assert (batch.error_count, batch.rows) == (1, 4)


def test_every_error_in_a_row_is_reported():
    content = to_csv(["phone number", "message"], [MOBILES[0], "Hi"], ["nope", ""])

    batch = checked(content)

    assert batch.errors == [
        {"row": 3, "column": "phone number", "message": "Not a valid phone number"},
        {"row": 3, "column": "message", "message": "Missing message"},
    ]
    assert batch.error_count == 2


def test_the_placeholders_come_from_the_template_for_the_channel():
    """A text message needs no name; a letter does."""
    sms = checked(to_csv(["phone number", "message"], [MOBILES[0], "Hi"]))
    letter = checked(
        to_csv(
            ["address line 1", "address line 2", "address line 3", "subject", "message"],
            ["Ann", "1 High St", "AB1 2CD", "S", "Hi"],
        ),
        channel="letter",
    )

    assert sms.status == Batch.Status.READY
    assert letter.errors == [{"row": 1, "column": "name", "message": "Missing column: name"}]


# --- Errors in the file as a whole -----------------------------------------------------------


def test_a_header_missing_a_column_is_one_error_at_row_1():
    content = to_csv(["mobile", "message"], ["07700 900001", "Hi"], ["07700 900002", "Hi"])

    batch = checked(content)

    assert batch.status == Batch.Status.INVALID
    assert batch.errors == [
        {"row": 1, "column": "phone number", "message": "Missing column: phone number"}
    ]
    assert (batch.error_count, batch.rows) == (1, 2)


def test_each_missing_column_is_reported():
    batch = checked(to_csv(["email address", "name"], ["ann@example.com", "Ann"]), channel="email")

    assert [e["message"] for e in batch.errors] == [
        "Missing column: message",
        "Missing column: subject",
    ]


def test_a_letter_needs_three_address_line_columns():
    content = to_csv(
        ["address line 1", "address line 2", "subject", "name", "message"],
        ["Ann", "AB1 2CD", "S", "Ann", "Hi"],
    )

    batch = checked(content, channel="letter")

    assert batch.errors == [
        {"row": 1, "column": "address line 3", "message": "Missing column: address line 3"}
    ]


def test_a_column_given_twice_is_an_error():
    content = to_csv(["phone number", "message", "Phone Number"], [MOBILES[0], "Hi", MOBILES[1]])

    batch = checked(content)

    assert batch.errors == [
        {
            "row": 1,
            "column": "phone number",
            "message": "There is more than one column called ‘phone number’",
        }
    ]


def test_more_than_max_rows_is_an_error(monkeypatch):
    monkeypatch.setattr(batches, "MAX_ROWS", 3)

    at_limit = checked(sms_csv(3))
    over = checked(sms_csv(5))

    assert (at_limit.status, at_limit.rows) == (Batch.Status.READY, 3)
    assert over.status == Batch.Status.INVALID
    assert over.errors == [{"row": 5, "column": "", "message": "The file has more than 3 rows"}]
    assert over.rows == 4  # reading stopped at the first row over the limit


def test_the_limits_are_notifys_and_the_message_formats_the_number(monkeypatch):
    assert (batches.MAX_ROWS, batches.MAX_ERRORS_KEPT) == (100_000, 100)
    monkeypatch.setattr(batches, "MAX_ROWS", 1000)

    batch = checked(sms_csv(1001))

    assert batch.errors == [
        {"row": 1002, "column": "", "message": "The file has more than 1,000 rows"}
    ]


def test_bytes_that_are_not_utf8_are_a_file_level_error_naming_the_row():
    content = to_csv(["phone number", "message"], [MOBILES[0], "Hi"], [MOBILES[1], "José"])

    batch = checked(content.encode("cp1252"))

    assert batch.status == Batch.Status.INVALID
    assert batch.errors == [
        {
            "row": 3,
            "column": "message",
            "message": "The file is not saved as UTF-8 text (the first problem is in row 3). "
            "Save it as ‘CSV UTF-8’ and upload it again.",
        }
    ]


def test_a_utf16_file_is_refused_at_the_header():
    content = to_csv(["phone number", "message"], [MOBILES[0], "Hi"])

    batch = checked(content.encode("utf-16"))

    assert batch.status == Batch.Status.INVALID
    assert batch.errors[0]["row"] == 1
    assert "not saved as UTF-8" in batch.errors[0]["message"]
    # Nothing of the undecodable header reaches the report (PostgreSQL's JSON refuses it).
    values = [str(value) for error in batch.errors for value in error.values()]
    assert not [value for value in values if re.search("[\x00\ud800-\udfff]", value)]


def test_an_empty_file_is_an_error():
    batch = checked(b"")

    assert batch.status == Batch.Status.INVALID
    assert batch.errors == [{"row": 1, "column": "", "message": "The file is empty"}]
    assert batch.rows == 0


def test_a_header_with_no_recipients_is_an_error():
    batch = checked(to_csv(["phone number", "message"], ["", ""]))

    assert batch.status == Batch.Status.INVALID
    assert batch.errors == [
        {"row": 2, "column": "", "message": "The file has a header row but no recipients"}
    ]


def test_a_quote_that_is_never_closed_is_an_error_not_a_crash():
    content = 'phone number,message\n07700 900001,Hi\n07700 900002,"' + "x" * 200_000 + "\n"

    batch = checked(content)

    assert batch.status == Batch.Status.INVALID
    assert batch.errors[0]["row"] == 3
    assert batch.errors[0]["message"].startswith("Row 3 could not be read")


def test_a_template_not_offered_for_batches_is_refused():
    batch = checked(sms_csv(1), event="application_received")

    assert batch.status == Batch.Status.INVALID
    assert "cannot be sent" in batch.errors[0]["message"]


def test_the_errors_kept_are_capped_but_all_are_counted():
    rows = [[MOBILES[0], "Hi"]] + [["bad", "Hi"]] * 150
    batch = checked(to_csv(["phone number", "message"], *rows))

    assert batch.error_count == 150
    assert len(batch.errors) == batches.MAX_ERRORS_KEPT == 100
    assert [batch.errors[0]["row"], batch.errors[-1]["row"]] == [3, 102]


def test_the_report_holds_no_more_than_the_cap_in_memory():
    report = batches._Report()
    for row in range(2, 10_002):
        report.row_error(row, "phone number", "Not a valid phone number")

    assert report.count == 10_000
    assert len(report.row_errors) == batches.MAX_ERRORS_KEPT


def test_file_level_errors_are_kept_even_after_the_cap(monkeypatch):
    monkeypatch.setattr(batches, "MAX_ROWS", 5)
    monkeypatch.setattr(batches, "MAX_ERRORS_KEPT", 3)
    batch = checked(to_csv(["phone number", "message"], *[["bad", "Hi"]] * 8))

    assert batch.error_count == 6
    assert len(batch.errors) == 3
    assert batch.errors[0] == {"row": 7, "column": "", "message": "The file has more than 5 rows"}


def test_a_queued_batch_cannot_be_checked_again():
    batch = ready(sms_csv(1))
    queue_batch(batch)

    with pytest.raises(ValueError, match="cannot be checked again"):
        validate_batch(batch)
    assert validate_batch_task(batch.pk) == Batch.Status.QUEUED


def test_the_validate_task_runs_through_enqueue(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    batch = make_batch(sms_csv(2))

    enqueue("notify.batches.validate_batch_task", batch.pk)

    batch.refresh_from_db()
    assert (batch.status, batch.rows) == (Batch.Status.READY, 2)


# --- Queuing ---------------------------------------------------------------------------------


def test_queue_writes_one_rendered_notification_per_row():
    organisation = council()
    ServiceConfig.objects.filter(organisation=organisation).update(
        notify_templates={"announcement": {"sms": {"en": "tmpl-sms-en"}}}
    )
    content = to_csv(
        ["phone number", "message", "notes"],
        ["07700 900001", "Bins on Monday", "ignored"],
        ["+44 7700 900002", "Bins on Tuesday", "ignored"],
        ["07700900003", "ŵ" * 71, ""],
    )
    batch = ready(content, organisation=organisation)

    assert queue_batch(batch) == 3

    rows = {n.recipient: n for n in Notification.objects.filter(batch=batch)}
    assert set(rows) == {"+447700900001", "+447700900002", "+447700900003"}
    first = rows["+447700900001"]
    assert first.body == "Bins on Monday"
    assert first.personalisation == {"message": "Bins on Monday"}
    assert (first.subject, first.fragments, first.template_id) == ("", 1, "tmpl-sms-en")
    assert (first.case, first.event, first.channel, first.language) == (
        None,
        "announcement",
        "sms",
        "en",
    )
    assert (first.organisation, first.status) == (organisation, Notification.Status.QUEUED)
    assert rows["+447700900003"].fragments == 2  # 71 characters that are not GSM
    batch.refresh_from_db()
    assert batch.status == Batch.Status.QUEUED


def test_queue_renders_email_subject_and_body():
    content = to_csv(EMAIL_HEAD, [" ann@example.com ", "Bin day", "Ann", "Bins on Monday."])
    batch = ready(content, channel="email")

    queue_batch(batch)

    row = Notification.objects.get(batch=batch)
    assert (row.recipient, row.subject) == ("ann@example.com", "Bin day")
    assert row.body == "Dear Ann,\n\nBins on Monday."
    assert row.personalisation == {
        "subject": "Bin day",
        "name": "Ann",
        "message": "Bins on Monday.",
    }
    assert (row.fragments, row.template_id) == (0, "")


def test_queue_joins_a_letter_address_and_normalises_the_postcode():
    content = to_csv(
        [*LETTER_HEAD, "address line 4"],
        ["Ann Example", "", "1 High St", "S", "Ann", "Hi", "ab12cd"],
    )
    batch = ready(content, channel="letter")

    queue_batch(batch)

    assert Notification.objects.get(batch=batch).recipient == "Ann Example\n1 High St\nAB1 2CD"


def test_queue_uses_the_welsh_template_and_id():
    organisation = council()
    configs = ServiceConfig.objects.filter(organisation=organisation).order_by("pk")
    configs.filter(pk=configs[0].pk).update(
        notify_templates={"announcement": {"email": {"en": "en-id"}}}
    )
    configs.filter(pk=configs[1].pk).update(
        notify_templates={"announcement": {"email": {"cy": "cy-id"}}}
    )
    content = to_csv(EMAIL_HEAD, ["ann@example.com", "Pwnc", "Ann", "Neges"])
    batch = ready(content, channel="email", language="cy", organisation=organisation)

    queue_batch(batch)

    row = Notification.objects.get(batch=batch)
    assert (row.body, row.template_id, row.language) == ("Annwyl Ann,\n\nNeges", "cy-id", "cy")


@pytest.mark.parametrize("status", [Batch.Status.INVALID, Batch.Status.VALIDATING])
def test_queue_refuses_a_batch_that_is_not_ready(status):
    batch = make_batch(sms_csv(2))
    Batch.objects.filter(pk=batch.pk).update(status=status, rows=2)
    batch.refresh_from_db()

    with pytest.raises(ValueError, match="only a ready batch can be queued"):
        queue_batch(batch)
    assert Notification.objects.count() == 0


def test_queue_refuses_an_invalid_batch_after_checking():
    batch = checked(to_csv(["phone number", "message"], [MOBILES[0], "Hi"], ["bad", "Hi"]))
    assert batch.status == Batch.Status.INVALID

    with pytest.raises(ValueError, match="only a ready batch"):
        queue_batch(batch)
    assert Notification.objects.count() == 0


def test_queuing_twice_writes_nothing_twice(monkeypatch):
    monkeypatch.setattr(batches, "CHUNK_SIZE", 2)
    batch = ready(sms_csv(5))

    assert queue_batch(batch) == 5
    with pytest.raises(ValueError, match="only a ready batch"):
        queue_batch(batch)
    assert queue_batch_task(batch.pk) == 0

    assert Notification.objects.filter(batch=batch).count() == 5


def test_queuing_again_after_losing_the_last_chunk_writes_only_what_is_missing(monkeypatch):
    monkeypatch.setattr(batches, "CHUNK_SIZE", 2)
    batch = ready(sms_csv(5))
    queue_batch(batch)
    # As if the run had died before the last chunk (rows 4 and 5) was written.
    last_chunk = ["+447700900003", "+447700900004"]
    assert Notification.objects.filter(batch=batch, recipient__in=last_chunk).delete()[0] == 2
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.READY)
    batch.refresh_from_db()

    assert queue_batch(batch) == 2

    recipients = list(Notification.objects.filter(batch=batch).values_list("recipient", flat=True))
    assert sorted(recipients) == [f"+4477009{n:05d}" for n in range(5)]


def test_a_run_that_dies_mid_way_is_finished_by_the_retried_task(monkeypatch):
    monkeypatch.setattr(batches, "CHUNK_SIZE", 2)
    batch = ready(sms_csv(5))
    real_insert = batches._insert
    calls = []

    def dies_on_the_second_chunk(batch, chunk, *, expected):
        calls.append(expected)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        real_insert(batch, chunk, expected=expected)

    monkeypatch.setattr(batches, "_insert", dies_on_the_second_chunk)
    with pytest.raises(SystemExit):
        queue_batch(batch)
    batch.refresh_from_db()
    assert (batch.status, Notification.objects.filter(batch=batch).count()) == (
        Batch.Status.QUEUING,
        2,
    )

    assert queue_batch_task(batch.pk) == 3

    batch.refresh_from_db()
    assert batch.status == Batch.Status.QUEUED
    recipients = sorted(
        Notification.objects.filter(batch=batch).values_list("recipient", flat=True)
    )
    assert recipients == [f"+4477009{n:05d}" for n in range(5)]
    bodies = set(Notification.objects.filter(batch=batch).values_list("body", flat=True))
    assert bodies == {f"Hello {n}" for n in range(5)}


def test_a_second_run_racing_the_first_stops_without_writing(monkeypatch):
    monkeypatch.setattr(batches, "CHUNK_SIZE", 2)
    batch = ready(sms_csv(5))
    real_insert = batches._insert

    def another_run_got_there_first(batch, chunk, *, expected):
        if expected == 0:
            real_insert(batch, chunk[:1], expected=0)  # the other run's chunk
        real_insert(batch, chunk, expected=expected)

    monkeypatch.setattr(batches, "_insert", another_run_got_there_first)
    with pytest.raises(BatchConflict):
        queue_batch(batch)
    assert Notification.objects.filter(batch=batch).count() == 1


def test_the_queue_task_swallows_a_conflict(monkeypatch):
    batch = ready(sms_csv(2))

    def conflict(*args, **kwargs):
        raise BatchConflict("another run")

    monkeypatch.setattr(batches, "_insert", conflict)

    assert queue_batch_task(batch.pk) == 0
    assert Notification.objects.count() == 0


def test_the_queue_task_works_in_short_runs_and_chains_itself(monkeypatch, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    monkeypatch.setattr(batches, "CHUNK_SIZE", 3)
    monkeypatch.setattr(batches, "ROWS_PER_TASK", 3)
    runs = []
    real = batches.queue_batch
    monkeypatch.setattr(batches, "queue_batch", lambda b, **kw: runs.append(kw) or real(b, **kw))
    batch = ready(sms_csv(10))

    batches.queue_batch_task(batch.pk)

    batch.refresh_from_db()
    assert batch.status == Batch.Status.QUEUED
    assert Notification.objects.filter(batch=batch).count() == 10
    assert len(runs) == 4  # 3 + 3 + 3 + 1 rows
    assert all(run == {"max_rows": 3} for run in runs)

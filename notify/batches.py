"""CSV batch sends: one template to up to 100,000 recipients, like GOV.UK Notify's uploads.

A caseworker uploads a CSV for one template, channel and language. `validate_batch` checks
every row and keeps a report of errors by row (spreadsheet numbering: the header is row 1);
only a batch with no errors becomes READY. `queue_batch` then reads the file again and
writes one queued `Notification` a row, in chunks; the sweeper
`notify.tasks.queue_due_notifications` hands them to the workers at Notify's pace, so no
task is enqueued per row here.

Both passes stream the file through `csv.reader`: memory is bounded by one row (and one
chunk of 2,000 rows when queuing), never by the size of the file.

Columns (header names are trimmed and case-insensitive; other columns are ignored):

- email: "email address"; text message: "phone number" (a mobile number);
- letter: "address line 1" to "address line 3", and optionally up to "address line 7": at
  least 3 lines filled in, the last one filled in a real UK postcode;
- one column for each ((placeholder)) of the template in that channel and language, filled
  in on every row.

Rows with nothing in any cell are skipped (they still count for the row numbers).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction

from cases.models import Channel
from cases.validators import normalise_phone, normalise_postcode
from config.tasks import enqueue
from notify.linking import configured_template_id
from notify.models import Batch, Notification
from notify.sms import fragments
from notify.templates import PLACEHOLDER, TEMPLATES, Template

logger = logging.getLogger(__name__)

MAX_ROWS = 100_000
MAX_ERRORS_KEPT = 100
CHUNK_SIZE = 2_000  # rows a transaction when queuing
SMS_MAX_CHARACTERS = 918  # GOV.UK Notify's limit for one text message


def _max_length(name: str) -> int:
    # Only for `subject` and `recipient`: CharFields, and so always with a max_length.
    field = Notification._meta.get_field(name)
    assert isinstance(field, models.CharField)
    assert field.max_length is not None
    return field.max_length


SUBJECT_MAX = _max_length("subject")
RECIPIENT_MAX = _max_length("recipient")

EMAIL_COLUMN = "email address"
PHONE_COLUMN = "phone number"
ADDRESS_COLUMNS = tuple(f"address line {n}" for n in range(1, 8))
ADDRESS_MIN_LINES = 3
RECIPIENT_COLUMNS = {
    Channel.EMAIL.value: (EMAIL_COLUMN,),
    Channel.SMS.value: (PHONE_COLUMN,),
    Channel.LETTER.value: ADDRESS_COLUMNS[:ADDRESS_MIN_LINES],
}

# Bytes that are not UTF-8 come through as lone surrogates (errors="surrogateescape");
# NUL is what a UTF-16 ("Unicode text") file looks like, and no database column takes it.
_NOT_TEXT = re.compile("[\x00\udc80-\udcff]")


class BatchConflict(RuntimeError):
    """Another run is queuing this batch: this one stopped without writing anything."""


# --- Reading the file -----------------------------------------------------------------


class _Unreadable(Exception):
    def __init__(self, row: int):
        super().__init__(row)
        self.row = row


@contextmanager
def _open_records(batch: Batch) -> Iterator[Iterator[tuple[int, list[str]]]]:
    """(spreadsheet row number, cells) for the header and every row that is not blank,
    streamed from the stored file."""
    assert batch.file.name is not None  # None only on an unsaved FieldFile; a batch has a file
    with batch.file.storage.open(batch.file.name, "rb") as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")
        try:
            yield _records(csv.reader(text))
        finally:
            text.detach()  # the storage's file object closes itself


def _records(reader) -> Iterator[tuple[int, list[str]]]:
    number = 0
    try:
        # Records, not lines: a quoted cell may span lines, as a spreadsheet row does.
        for number, cells in enumerate(reader, start=1):
            if number == 1 or "".join(cells).strip():
                yield number, cells
    except csv.Error as exc:
        raise _Unreadable(number + 1) from exc


def _not_text_at(cells: list[str]) -> int | None:
    """The index of the first cell holding bytes that were not UTF-8 text, if any."""
    joined = "".join(cells)
    if joined.isascii() and "\x00" not in joined:
        return None
    return next((i for i, cell in enumerate(cells) if _NOT_TEXT.search(cell)), None)


# --- Checking a row ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    recipient: str
    personalisation: dict[str, str]
    subject: str
    body: str


def _columns_of(text: str) -> str:
    return ", ".join(sorted({m.strip().lower() for m in PLACEHOLDER.findall(text)}))


class _Columns:
    """What the header row says is where, and the checks for each row."""

    def __init__(self, batch: Batch, template: Template, header: list[str]):
        self.channel = batch.channel
        self.language = batch.language
        self.template = template
        self.placeholders = sorted(template.placeholders(self.channel, self.language))
        self.index: dict[str, int] = {}
        duplicates: list[str] = []
        for position, cell in enumerate(header):
            name = cell.strip().lower()
            if name in self.index:
                duplicates.append(name)
            else:
                self.index[name] = position
        recipient_columns = RECIPIENT_COLUMNS[self.channel]
        wanted = [*recipient_columns, *(p for p in self.placeholders if p not in recipient_columns)]
        used = {*wanted, *(ADDRESS_COLUMNS if self.channel == Channel.LETTER else ())}
        self.missing = [name for name in wanted if name not in self.index]
        self.duplicates = sorted({name for name in duplicates if name in used})
        self.address_columns = [name for name in ADDRESS_COLUMNS if name in self.index]
        subject, body = template.texts(self.channel, self.language)
        self.subject_columns = _columns_of(subject)
        self.body_columns = _columns_of(body)

    def header_errors(self) -> list[tuple[str, str]]:
        return [(name, f"Missing column: {name}") for name in self.missing] + [
            (name, f"There is more than one column called ‘{name}’") for name in self.duplicates
        ]

    def check(self, cells: list[str]) -> tuple[_Row | None, list[tuple[str, str]]]:
        """The row ready to queue, or None and its errors as (column, message)."""

        def cell(name: str) -> str:
            position = self.index.get(name)
            return cells[position].strip() if position is not None and position < len(cells) else ""

        errors: list[tuple[str, str]] = []
        recipient = self._recipient(cell, errors)
        values = {}
        for name in self.placeholders:
            values[name] = cell(name)
            if name in self.index and not values[name]:
                errors.append((name, f"Missing {name}"))
        if errors or self.missing:
            return None, errors
        subject, body = self.template.render(self.channel, self.language, values)
        if len(subject) > SUBJECT_MAX:
            errors.append(
                (
                    self.subject_columns,
                    f"The subject is too long: the most is {SUBJECT_MAX} characters",
                )
            )
        if self.channel == Channel.SMS and len(body) > SMS_MAX_CHARACTERS:
            errors.append(
                (
                    self.body_columns,
                    f"The text message is too long: the most is {SMS_MAX_CHARACTERS} characters",
                )
            )
        if errors:
            return None, errors
        return _Row(recipient, values, subject, body), errors

    def _recipient(self, cell, errors: list[tuple[str, str]]) -> str:
        if any(name in self.missing for name in RECIPIENT_COLUMNS[self.channel]):
            return ""  # reported once, as a missing column
        if self.channel == Channel.LETTER:
            return self._address(cell, errors)
        column = EMAIL_COLUMN if self.channel == Channel.EMAIL else PHONE_COLUMN
        value = cell(column)
        if not value:
            errors.append((column, f"Missing {column}"))
            return ""
        try:
            if self.channel == Channel.EMAIL:
                validate_email(value)
                return value
            return normalise_phone(value, mobile=True)
        except ValidationError as exc:
            if self.channel == Channel.EMAIL:
                message = "Not a valid email address"
            elif exc.code == "not_mobile":
                message = "Not a UK mobile number"
            else:
                message = "Not a valid phone number"
            errors.append((column, message))
            return ""

    def _address(self, cell, errors: list[tuple[str, str]]) -> str:
        lines = [(name, cell(name)) for name in self.address_columns]
        filled = [(name, value) for name, value in lines if value]
        first = ADDRESS_COLUMNS[0]
        if not filled:
            errors.append((first, "Missing address"))
            return ""
        if len(filled) < ADDRESS_MIN_LINES:
            errors.append((first, f"The address must have at least {ADDRESS_MIN_LINES} lines"))
            return ""
        last_column, last = filled[-1]
        try:
            postcode = normalise_postcode(last)
        except ValidationError:
            errors.append((last_column, "The last line of the address must be a real UK postcode"))
            return ""
        address = "\n".join([*(value for _, value in filled[:-1]), postcode])
        if len(address) > RECIPIENT_MAX:
            errors.append(
                (first, f"The address is too long: the most is {RECIPIENT_MAX} characters")
            )
            return ""
        return address


def _template_for(batch: Batch) -> Template | None:
    template = TEMPLATES.get(batch.event)
    if template is None or not template.batch or batch.channel not in RECIPIENT_COLUMNS:
        return None
    return template


# --- Validating -------------------------------------------------------------------------


class _Report:
    """All errors counted; the first kept. File-level errors (the header, the encoding, too
    many rows) are always kept, listed first."""

    def __init__(self):
        self.file_errors: list[dict] = []
        self.row_errors: list[dict] = []
        self.count = 0

    def file_error(self, row: int, column: str, message: str) -> None:
        self.count += 1
        self.file_errors.append({"row": row, "column": column, "message": message})

    def row_error(self, row: int, column: str, message: str) -> None:
        self.count += 1
        if len(self.row_errors) < MAX_ERRORS_KEPT:
            self.row_errors.append({"row": row, "column": column, "message": message})

    def kept(self) -> list[dict]:
        return (self.file_errors + self.row_errors)[:MAX_ERRORS_KEPT]


def validate_batch(batch: Batch) -> Batch:
    """Checks every row of the batch's file; READY if there is no error, else INVALID with
    the first MAX_ERRORS_KEPT errors in `errors` and all of them counted in `error_count`."""
    if batch.status in (Batch.Status.QUEUING, Batch.Status.QUEUED):
        raise ValueError(f"Batch {batch.pk} is already {batch.status}: it cannot be checked again")
    report = _Report()
    rows = 0
    template = _template_for(batch)
    if template is None:
        report.file_error(
            1, "", f"The template ‘{batch.event}’ cannot be sent by {batch.channel} from a CSV file"
        )
    else:
        try:
            rows = _check_file(batch, template, report)
        except FileNotFoundError:
            report.file_error(1, "", "The uploaded file is missing: upload it again")
    batch.rows = rows
    batch.error_count = report.count
    batch.errors = report.kept()
    batch.status = Batch.Status.INVALID if report.count else Batch.Status.READY
    batch.save(update_fields=["rows", "error_count", "errors", "status"])
    logger.info(
        "batch %s checked: %s rows, %s errors, %s", batch.pk, rows, report.count, batch.status
    )
    return batch


def _check_file(batch: Batch, template: Template, report: _Report) -> int:
    """Streams the file into the report; returns the number of rows (not the header)."""
    rows = 0
    columns = None
    encoding_reported = False
    with _open_records(batch) as records:
        try:
            for number, cells in records:
                bad = _not_text_at(cells)
                if bad is not None and not encoding_reported:
                    encoding_reported = True
                    report.file_error(
                        number,
                        _cell_name(columns, bad, cells),
                        f"The file is not saved as UTF-8 text (the first problem is in row "
                        f"{number}). Save it as ‘CSV UTF-8’ and upload it again.",
                    )
                if columns is None:
                    columns = _Columns(batch, template, cells)
                    for column, message in columns.header_errors():
                        report.file_error(1, column, message)
                    continue
                rows += 1
                if rows > MAX_ROWS:
                    report.file_error(number, "", f"The file has more than {MAX_ROWS:,} rows")
                    break
                _, errors = columns.check(cells)
                for column, message in errors:
                    report.row_error(number, column, message)
        except _Unreadable as unreadable:
            report.file_error(
                unreadable.row,
                "",
                f'Row {unreadable.row} could not be read: check it for a quote mark (") that '
                f"is not closed, or a cell longer than {csv.field_size_limit():,} characters.",
            )
    if columns is None:
        report.file_error(1, "", "The file is empty")
    elif rows == 0 and not report.count:
        report.file_error(2, "", "The file has a header row but no recipients")
    return rows


def _cell_name(columns: _Columns | None, position: int, cells: list[str]) -> str:
    """The header name of a cell, for the report (the header itself while reading it),
    with what is not text replaced: a JSON column in PostgreSQL refuses NUL and lone
    surrogates."""
    if columns is None:
        name = cells[position].strip().lower() if position < len(cells) else ""
    else:
        name = next((name for name, at in columns.index.items() if at == position), "")
    return _NOT_TEXT.sub("\ufffd", name)


# --- Queuing ----------------------------------------------------------------------------


def template_id_for(batch: Batch) -> str:
    """The Notify template ID for the batch, from any of its council's service settings:
    the batch's language first, then English."""
    configs = list(batch.organisation.service_configs.order_by("pk"))
    for language in dict.fromkeys([batch.language, "en"]):
        for config in configs:
            value = configured_template_id(config, batch.event, batch.channel, language)
            if value:
                return value
    return ""


def queue_batch(batch: Batch, *, max_rows: int | None = None) -> int:
    """Writes one queued Notification per row of a READY batch, CHUNK_SIZE rows a
    transaction, and returns how many this call wrote. Restartable: a batch left QUEUING by
    an interrupted run carries on after the rows already written (rows are written in file
    order and whole chunks at a time), so nothing is written twice. With `max_rows`, it
    stops after about that many (whole chunks) and leaves the batch QUEUING."""
    if batch.status not in (Batch.Status.READY, Batch.Status.QUEUING):
        raise ValueError(f"Batch {batch.pk} is {batch.status}: only a ready batch can be queued")
    template = _template_for(batch)
    if template is None:
        raise ValueError(f"Batch {batch.pk}: '{batch.event}' is not a batch template")
    Batch.objects.filter(pk=batch.pk, status=Batch.Status.READY).update(status=Batch.Status.QUEUING)
    batch.refresh_from_db(fields=["status"])
    if batch.status != Batch.Status.QUEUING:
        raise ValueError(f"Batch {batch.pk} is {batch.status}: only a ready batch can be queued")

    done = Notification.objects.filter(batch=batch).count()
    template_id = template_id_for(batch)
    created = 0
    position = 0
    chunk: list[Notification] = []
    with _open_records(batch) as records:
        columns = None
        for number, cells in records:
            if columns is None:
                columns = _Columns(batch, template, cells)
                continue
            position += 1
            if position <= done:
                continue
            row, _ = columns.check(cells)
            if row is None:
                raise ValueError(f"Batch {batch.pk}: row {number} has changed since it was checked")
            chunk.append(_notification(batch, row, template_id))
            if len(chunk) >= CHUNK_SIZE:
                _insert(batch, chunk, expected=done + created)
                created += len(chunk)
                chunk = []
                if max_rows is not None and created >= max_rows:
                    logger.info("batch %s: %s rows written, more to come", batch.pk, done + created)
                    return created
        if chunk:
            _insert(batch, chunk, expected=done + created)
            created += len(chunk)
    if done + created != batch.rows:
        raise ValueError(
            f"Batch {batch.pk}: {done + created} rows queued, but {batch.rows} were checked"
        )
    Batch.objects.filter(pk=batch.pk, status=Batch.Status.QUEUING).update(
        status=Batch.Status.QUEUED
    )
    batch.status = Batch.Status.QUEUED
    logger.info("batch %s queued: %s rows written now, %s before", batch.pk, created, done)
    return created


def _notification(batch: Batch, row: _Row, template_id: str) -> Notification:
    return Notification(
        organisation_id=batch.organisation_id,
        batch=batch,
        case=None,
        event=batch.event,
        channel=batch.channel,
        recipient=row.recipient,
        language=batch.language,
        personalisation=row.personalisation,
        subject=row.subject,
        body=row.body,
        fragments=fragments(row.body) if batch.channel == Channel.SMS else 0,
        template_id=template_id,
        status=Notification.Status.QUEUED,
    )


def _insert(batch: Batch, chunk: list[Notification], *, expected: int) -> None:
    """Writes one chunk, if the batch still has exactly the rows this run expects: the
    batch row is locked, so two runs of the same batch cannot both write a chunk."""
    with transaction.atomic():
        locked = Batch.objects.select_for_update(of=("self",)).only("status").get(pk=batch.pk)
        written = Notification.objects.filter(batch_id=batch.pk).count()
        if locked.status != Batch.Status.QUEUING or written != expected:
            raise BatchConflict(
                f"Batch {batch.pk} is {locked.status} with {written} rows written, not "
                f"{expected}: another run is queuing it"
            )
        Notification.objects.bulk_create(chunk)


# --- Tasks ------------------------------------------------------------------------------


def validate_batch_task(batch_id) -> str:
    """enqueue("notify.batches.validate_batch_task", batch.pk); safe to run twice."""
    batch = Batch.objects.get(pk=batch_id)
    if batch.status in (Batch.Status.QUEUING, Batch.Status.QUEUED):
        return batch.status
    return validate_batch(batch).status


ROWS_PER_TASK = 20_000  # a few seconds of work: well inside the worker's task timeout


def queue_batch_task(batch_id) -> int:
    """enqueue("notify.batches.queue_batch_task", batch.pk); safe to run twice. Each run
    writes up to ROWS_PER_TASK rows and queues the next run for the rest, so no single
    task comes near the worker's timeout."""
    batch = Batch.objects.select_related("organisation").get(pk=batch_id)
    if batch.status == Batch.Status.QUEUED:
        return 0
    try:
        created = queue_batch(batch, max_rows=ROWS_PER_TASK)
    except BatchConflict as conflict:
        logger.info("%s", conflict)
        return 0
    if batch.status == Batch.Status.QUEUING:
        enqueue("notify.batches.queue_batch_task", batch.pk)
    return created

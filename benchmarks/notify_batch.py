"""Benchmark of CSV batch sends: `notify.batches.validate_batch` and `queue_batch` on a
generated text-message CSV, timed, with their peak memory.

    python benchmarks/notify_batch.py [--rows 100000] [--database-url URL] [--keep]

By default everything happens in a throwaway folder: a new SQLite database (migrated
first) and the generated CSV, both deleted at the end (--keep leaves them). A
--database-url is migrated and written to: give it a throwaway database only.

Each step runs twice, on two batches made from the same file:

1. untraced: wall-clock seconds, rows a second, and the process's peak resident memory
   (ru_maxrss) before and after the step;
2. under tracemalloc: the peak of Python allocations during the step (tracemalloc makes
   the step slower, so its time is only shown for reference).

Memory is bounded if the peaks for --rows 100000 are about the same as for --rows 10000.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import platform
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="data rows in the CSV")
    parser.add_argument(
        "--database-url", default="", help="a throwaway database (default: a new SQLite file)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser.parse_args(argv)


def setup_django(workdir: Path, database_url: str) -> None:
    """Settings come from the environment, so it is set before django.setup()."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory
    os.environ["Q_SYNC"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("LOG_FORMAT", "plain")

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def write_csv(path: Path, rows: int) -> int:
    """A text-message CSV written a row at a time; returns its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["phone number", "message", "name", "ward"])
        for n in range(rows):
            writer.writerow(
                [
                    f"077{n:08d}",
                    f"Your bin collection day changes to {('Monday', 'Tuesday')[n % 2]} "
                    f"from 3 March. Reference {n:06d}. Northtown Council",
                    f"Resident {n}",
                    f"Ward {n % 40}",
                ]
            )
    return path.stat().st_size


def maxrss_mib() -> float:
    """The process's peak resident memory so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run(step, *, traced: bool) -> dict:
    gc.collect()
    before = maxrss_mib()
    if traced:
        tracemalloc.start()
        tracemalloc.reset_peak()
    started = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - started
    figures = {
        "result": result,
        "seconds": seconds,
        "rss_before": before,
        "rss_after": maxrss_mib(),
    }
    if traced:
        figures["traced_peak"] = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
        tracemalloc.stop()
    return figures


def main(argv=None) -> None:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="waymark-batch-bench-"))
    try:
        setup_django(workdir, args.database_url)
        bench(args, workdir)
    finally:
        if args.keep:
            print(f"\nKept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def bench(args: argparse.Namespace, workdir: Path) -> None:
    import django
    from django.db import connection

    from cases.models import Organisation, Service, ServiceConfig
    from notify.batches import CHUNK_SIZE, queue_batch, validate_batch
    from notify.models import Batch, Notification

    name = f"batches/bench-{args.rows}.csv"
    started = time.perf_counter()
    size = write_csv(workdir / "media" / name, args.rows)
    generated = time.perf_counter() - started

    organisation, _ = Organisation.objects.get_or_create(
        slug="benchmark-council", defaults={"name": "Benchmark Council"}
    )
    ServiceConfig.objects.get_or_create(
        organisation=organisation,
        service=Service.BLUE_BADGE,
        defaults={
            "notify_templates": {
                "announcement": {"sms": {"en": "00000000-0000-0000-0000-000000000000"}}
            }
        },
    )

    def new_batch() -> Batch:
        batch = Batch(organisation=organisation, event="announcement", channel="sms")
        batch.file.name = name  # the generated file, already in MEDIA_ROOT
        batch.save()
        return batch

    print("Waymark CSV batch benchmark")
    print(
        f"  machine: {os.cpu_count()} CPUs (nproc), {platform.machine()}, "
        f"{platform.system()} {platform.release()}"
    )
    print(
        f"  Python {platform.python_version()}, Django {django.get_version()}, "
        f"database {connection.vendor}"
        + (f" (SQLite {sqlite3.sqlite_version})" if connection.vendor == "sqlite" else "")
    )
    print(f"  CSV: {args.rows:,} rows, {size / 1024 / 1024:.1f} MiB, written in {generated:.1f} s")
    print(f"  queue chunk: {CHUNK_SIZE:,} rows a transaction\n")

    results = []
    for traced in (False, True):
        batch = new_batch()
        checked = run(lambda b=batch: validate_batch(b), traced=traced)
        assert batch.status == Batch.Status.READY, batch.errors
        assert batch.rows == args.rows, batch.rows
        queued = run(lambda b=batch: queue_batch(b), traced=traced)
        assert queued["result"] == args.rows
        assert Notification.objects.filter(batch=batch).count() == args.rows
        results += [("validate_batch", traced, checked), ("queue_batch", traced, queued)]

    header = (
        f"{'step':<15}{'pass':<12}{'rows':>9}{'seconds':>9}{'rows/s':>9}"
        f"{'maxrss before':>15}{'maxrss after':>14}{'tracemalloc peak':>18}"
    )
    print(header)
    print("-" * len(header))
    for step, traced, figures in results:
        peak = f"{figures['traced_peak']:.2f} MiB" if traced else "–"
        print(
            f"{step:<15}{'tracemalloc' if traced else 'untraced':<12}{args.rows:>9,}"
            f"{figures['seconds']:>9.1f}{args.rows / figures['seconds']:>9,.0f}"
            f"{figures['rss_before']:>11.1f} MiB{figures['rss_after']:>10.1f} MiB{peak:>18}"
        )


if __name__ == "__main__":
    main()

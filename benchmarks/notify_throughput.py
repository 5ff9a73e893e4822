"""Dispatch throughput of ONE django-q2 worker against a local server that answers like
GOV.UK Notify. Reports messages a minute, and the most sent in any 60-second span (which
must never exceed Notify's 3,000 a minute per key).

    python benchmarks/notify_throughput.py [--messages 4000] [--database-url postgres://…]

It makes a throwaway SQLite database (or uses --database-url), queues the messages as the
case services do (one task each), starts `manage.py qcluster` with Q_WORKERS=1 and the
GOV.UK Notify backend pointed at the fake server, and waits until every message is sent.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from fake_notify import FakeNotify  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--timeout", type=int, default=600)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="waymark-bench-")
    api_key = f"bench-{uuid.uuid4()}-{uuid.uuid4()}"
    with FakeNotify() as fake:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": args.database_url or f"sqlite:///{workdir}/bench.sqlite3",
            "DEBUG": "0",
            "SECRET_KEY": "benchmark-only-" + uuid.uuid4().hex,
            "NOTIFY_API_BASE_URL": fake.url,
            "NOTIFY_API_KEY": api_key,
            "Q_WORKERS": "1",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "plain",
        }
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        ids = queue_messages(args.messages)

        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, str(ROOT / "manage.py"), "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started = time.monotonic()
        try:
            while len(fake.sends) < len(ids) and time.monotonic() - started < args.timeout:
                time.sleep(5)
                print(f"  {time.monotonic() - started:5.0f} s: {len(fake.sends)} sent", flush=True)
        finally:
            worker.send_signal(signal.SIGINT)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()

        from notify.models import Notification

        sent = Notification.objects.filter(pk__in=ids).exclude(notify_id=None).count()
        span = (max(fake.sends) - min(fake.sends)) if len(fake.sends) > 1 else 0
        rate = (len(fake.sends) - 1) / span * 60 if span else 0
        print(f"database: {env['DATABASE_URL'].split(':')[0]}")
        print(f"messages queued: {len(ids)}; received by the fake Notify: {len(fake.sends)}")
        print(f"recorded as sent: {sent}; duplicate sends: {fake.duplicates}")
        print(f"throughput: {rate:,.0f} messages a minute over {span:,.1f} s")
        print(f"most in any 60 s span: {fake.max_in_window(60):,} (Notify's limit: 3,000)")
        ok = len(fake.sends) == len(ids) and fake.duplicates == 0
        ok = ok and fake.max_in_window(60) <= 3000
        return 0 if ok else 1


def queue_messages(count: int) -> list:
    """Opens one case and queues `count` text messages for it, as the services would."""
    from django.db import transaction

    from cases.models import Organisation, Service, ServiceConfig
    from cases.services import Actor, case_create
    from notify.models import Notification
    from notify.services import create_notification

    organisation = Organisation.objects.create(name="Benchmark Council", slug="bench")
    template_ids = {"en": str(uuid.uuid4())}
    ServiceConfig.objects.create(
        organisation=organisation,
        service=Service.BLUE_BADGE,
        notify_templates={"application_received": {"sms": template_ids, "email": template_ids}},
    )
    case = case_create(
        organisation=organisation,
        service=Service.BLUE_BADGE,
        applicant={
            "applicant_name": "Bench Mark",
            "phone": "07700 900982",
            "contact_preference": "sms",
        },
        answers={"eligibility": "pip", "date_of_birth": "1950-01-01"},
        actor=Actor.system("benchmark"),
    )
    values = Notification.objects.get(case=case).personalisation
    ids = []
    for start in range(0, count - 1, 500):
        with transaction.atomic():
            for _ in range(min(500, count - 1 - start)):
                row = create_notification(
                    case=case, event="application_received", channel="sms", personalisation=values
                )
                ids.append(row.pk)
    ids.append(Notification.objects.get(case=case, case_event__isnull=False).pk)
    return ids


if __name__ == "__main__":
    sys.exit(main())

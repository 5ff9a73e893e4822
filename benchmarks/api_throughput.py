"""Requests a second of the partner API under gunicorn and PostgreSQL, each as a ratio to
a reference view on the same stack (benchmarks/api_urls.py):

- `GET /api/v1/cases/{id}` (a case) and `GET /api/v1/cases?limit=50` (a page of cases)
  against `/bench/trivial`, a bare `HttpResponse`;
- `POST /api/v1/cases/{id}/transitions/reschedule_repair` (a step: the case locked and
  changed, its event written, through `cases.services`) against `/bench/write`, plain
  Django updating one row and inserting one in a transaction.

    python benchmarks/api_throughput.py --database-url postgres://… [--cases 10000]
        [--seconds 10] [--connections 8] [--workers 2] [--only "API case detail" …]

It migrates the database it is given (use a throwaway one: it adds a council, cases and a
key), starts gunicorn with that many sync workers on a free loopback port, and loads it
with `wrk` (one thread, `--connections` open at once; a Lua script gives each request its
own case, so no two requests at once touch one case). Every endpoint gets a warm-up, then
`--seconds` of load; answers other than 2xx are counted and reported. `wrk` is written in
C and needs a small share of the CPU the server needs, so the ratios are the server's own.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(cases: int) -> dict:
    """A council with `cases` street reports waiting for their repair, and a key."""
    from django.utils import timezone

    from cases import process_id
    from cases.api.keys import api_key_create
    from cases.models import ApiKey, Case, Organisation, Service, ServiceConfig

    ApiKey.objects.filter(organisation__slug="bench").delete()
    organisation, _ = Organisation.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    ServiceConfig.objects.get_or_create(organisation=organisation, service=Service.STREET_REPORT)
    have = Case.objects.filter(organisation=organisation).count()
    repair = (timezone.localdate() + timedelta(days=30)).isoformat()
    rows = [
        Case(
            process_id=process_id.generate("ST"),
            organisation=organisation,
            service=Service.STREET_REPORT,
            state="repair_scheduled",
            stage="repair",
            applicant_name="Bench Reporter",
            contact_preference="none",
            answers={"issue_type": "pothole", "location": "Outside 3 Mill Lane"},
            details={"repair_date": repair},
        )
        for _ in range(max(0, cases - have))
    ]
    Case.objects.bulk_create(rows, batch_size=2000)
    _key, text = api_key_create(
        organisation=organisation, name="bench", scopes=[s.value for s in ApiKey.Scope]
    )
    ids = list(
        Case.objects.filter(organisation=organisation).values_list("pk", "process_id")[:cases]
    )
    return {"key": text, "ids": ids}


def repair_days(count: int) -> list[str]:
    from django.utils import timezone

    return [(timezone.localdate() + timedelta(days=2 + n)).isoformat() for n in range(count)]


# (method, path with {pk} and {id} for the case, body with {day} for a repair date)
REQUESTS = {
    "trivial view": ("GET", "/bench/trivial", ""),
    "logged read floor": ("GET", "/bench/read/{id}", ""),
    "API case detail": ("GET", "/api/v1/cases/{id}", ""),
    "API case list (50)": ("GET", "/api/v1/cases?limit=50", ""),
    "plain write view": ("POST", "/bench/write?case={pk}", ""),
    "API transition": (
        "POST",
        "/api/v1/cases/{id}/transitions/reschedule_repair",
        json.dumps({"reason": "Crew moved", "data": {"repair_date": "{day}"}}),
    ),
}

LUA = """
local cases = {%(cases)s}
local days = {%(days)s}
local n = 0
wrk.method = "%(method)s"
wrk.headers["Authorization"] = "Bearer %(key)s"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local case = cases[n %% #cases + 1]
  local path = string.gsub(string.gsub("%(path)s", "{pk}", case[1]), "{id}", case[2])
  local body = nil
  if %(body)s ~= "" then body = string.gsub(%(body)s, "{day}", days[n %% #days + 1]) end
  return wrk.format(nil, path, nil, body)
end
"""


def lua(plan: dict, name: str) -> str:
    method, path, body = REQUESTS[name]
    return LUA % {
        "cases": ",".join(f'{{"{pk}","{pid}"}}' for pk, pid in plan["ids"]),
        "days": ",".join(f'"{day}"' for day in repair_days(300)),
        "method": method,
        "key": plan["key"],
        "path": path,
        "body": json.dumps(body),
    }


def measure(port: int, plan: dict, name: str, seconds: float, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(lua(plan, name))
        script.flush()
        for length in (min(2.0, seconds), seconds):  # a warm-up, then the load measured
            out = subprocess.run(  # noqa: S603 - wrk, on loopback
                [
                    shutil.which("wrk") or "wrk",
                    "--threads=1",
                    f"--connections={connections}",
                    f"--duration={max(1, round(length))}s",
                    "--latency",
                    f"--script={script.name}",
                    f"http://127.0.0.1:{port}",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    return {
        "rps": rps,
        "not_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
        "p50": p50,
        "p99": p99,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--only", nargs="+", choices=list(REQUESTS), help="these endpoints and their references"
    )
    args = parser.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.api_settings",
        "DATABASE_URL": args.database_url,
        "DEBUG": "0",
        "HTTPS_ONLY": "0",
        "SECRET_KEY": "benchmark-only-" + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOCAL_BACKENDS": "1",
        "API_REQUESTS_PER_MINUTE": "100000000",
        "LOG_LEVEL": "ERROR",
        "LOG_FORMAT": "plain",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    plan = seed(args.cases)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, on loopback
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            f"--bind=127.0.0.1:{port}",
            f"--workers={args.workers}",
            "--worker-class=sync",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        names = [
            name
            for name in REQUESTS
            if not args.only or name in args.only or name in ("trivial view", "plain write view")
        ]
        figures = {
            name: measure(port, plan, name, args.seconds, args.connections) for name in names
        }
    finally:
        server.terminate()
        server.wait(timeout=30)

    trivial, write = figures["trivial view"]["rps"], figures["plain write view"]["rps"]
    heading = f"{'endpoint':20} {'req/s':>7} {'ratio':>6}  {'against':16} {'p50':>8} {'p99':>8}"
    print(f"{heading}  not 2xx")
    for name, found in figures.items():
        writes = "write" in name or "transition" in name
        base, against = (write, "plain write view") if writes else (trivial, "trivial view")
        print(
            f"{name:20} {found['rps']:7.0f} {found['rps'] / base:6.2f}  {against:16} "
            f"{found['p50']:>8} {found['p99']:>8}  {found['not_2xx']} {found['socket_errors']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Requests a second of the citizen's pages, the caseworker's case list and the partner
API, under gunicorn and PostgreSQL with the production settings, each as a ratio to a
reference view on the same stack (benchmarks/bench_urls.py), measured alternately with
it (reference, page, reference, page, …) so that drift of the machine cancels out:

    python benchmarks/web_load.py [--database-url postgres://…] [--cases 10000]
        [--seconds 5] [--rounds 3] [--connections 8] [--workers 2] [--only NAME …]

Without --database-url it starts a PostgreSQL cluster of its own (benchmarks/harness.py).
It loads `--cases` street reports with their timelines (`manage.py load_cases`), starts
gunicorn with `--workers` sync workers and a django-q2 worker, and loads each page with
`wrk` (one thread, `--connections` at once; a Lua script gives each request its own case
and, for a citizen's page, that citizen's session). Answers other than 2xx and 3xx are
counted and reported. `--profile NAME` instead runs 500 requests of one page in this
process under cProfile and prints where the time went.
"""

import argparse
import contextlib
import cProfile
import json
import pstats
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import harness  # noqa: E402

CSRF = secrets.token_hex(16)  # 32 characters: a CSRF secret, sent as cookie and field

# name: (method, path, body, reference view, target ratio or None)
# In a path or body: {pk} and {id} are the case's, {postcode} its citizen's, {day} a date.
PAGES = {
    "trivial view": ("GET", "/bench/trivial", "", None, None),
    "plain write view": ("POST", "/bench/write?case={pk}", "", None, None),
    "start page": ("GET", "/", "", "trivial view", 0.6),
    "citizen timeline": ("GET", "/track/{id}/", "", "trivial view", 0.5),
    "track lookup POST": (
        "POST",
        "/track/",
        f"reference={{id}}&postcode_or_email={{postcode}}&csrfmiddlewaretoken={CSRF}",
        "trivial view",
        0.4,
    ),
    "API case detail": ("GET", "/api/v1/cases/{id}", "", "trivial view", 0.35),
    "API case list (50)": ("GET", "/api/v1/cases?limit=50", "", "trivial view", 0.25),
    "admin case list": ("GET", "/admin/cases/case/", "", "trivial view", 0.15),
    "API transition": (
        "POST",
        "/api/v1/cases/{id}/transitions/reschedule_repair",
        json.dumps({"reason": "Crew moved", "data": {"repair_date": "{day}"}}),
        "plain write view",
        0.5,
    ),
}

LUA = """
local cases = {%(cases)s}
local days = {%(days)s}
local n = 0
request = function()
  n = n + 1
  local case = cases[n %% #cases + 1]
  local function fill(text)
    text = string.gsub(text, "{pk}", case[1])
    text = string.gsub(text, "{id}", case[2])
    text = string.gsub(text, "{postcode}", case[4])
    return string.gsub(text, "{day}", days[n %% #days + 1])
  end
  local headers = {}
  headers["Authorization"] = "Bearer %(key)s"
  headers["Content-Type"] = %(content_type)s
  headers["Cookie"] = %(cookie)s
  local body = nil
  if %(body)s ~= "" then body = fill(%(body)s) end
  return wrk.format("%(method)s", fill("%(path)s"), headers, body)
end
"""


def seed(cases: int) -> dict:
    """The council's street reports (loaded to `cases` if it has fewer), one citizen's
    session for each of the first 500, an API key and a caseworker's signed-in session."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from cases.api.keys import api_key_create
    from cases.models import ApiKey, Case, Membership, Organisation
    from cases.portal.access import SESSION_KEY

    have = Case.objects.filter(organisation__slug="bench").count()
    if have < cases:
        call_command(
            "load_cases", cases=cases - have, council="bench", throwaway=True, stdout=sys.stderr
        )
    organisation = Organisation.objects.get(slug="bench")
    ApiKey.objects.filter(organisation=organisation).delete()
    _key, text = api_key_create(
        organisation=organisation, name="bench", scopes=[s.value for s in ApiKey.Scope]
    )
    found = Case.objects.filter(organisation=organisation)
    plan: dict = {"key": text, "pages": {}}
    for name, state in (("any", None), ("repair", "repair_scheduled")):
        rows = (found.filter(state=state) if state else found).order_by("?")[:500]
        citizens = []
        for pk, pid, postcode in rows.values_list("pk", "process_id", "postcode"):
            session = SessionStore()
            session[SESSION_KEY] = [pk]
            session.create()
            citizens.append((pk, pid, session.session_key, postcode.replace(" ", "+")))
        plan["pages"][name] = citizens
    user, _ = get_user_model().objects.get_or_create(
        username="bench-caseworker", defaults={"is_staff": True}
    )
    Membership.objects.get_or_create(user=user, organisation=organisation)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    session = SessionStore()
    session.update(
        {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
            "_auth_user_hash": user.get_session_auth_hash(),
            DEVICE_ID_SESSION_KEY: device.persistent_id,
        }
    )
    session.create()
    plan["staff_session"] = session.session_key
    return plan


def lua(plan: dict, name: str) -> str:
    from django.conf import settings
    from django.utils import timezone

    method, path, body, _reference, _target = PAGES[name]
    cases = plan["pages"]["repair" if "transition" in name else "any"]
    cookie = f"csrftoken={CSRF}"
    if path.startswith("/track/{id}"):
        cookie += f"; {settings.SESSION_COOKIE_NAME}=' .. case[3] .. '"
    elif path.startswith("/admin/"):
        cookie += f"; {settings.SESSION_COOKIE_NAME}={plan['staff_session']}"
    days = [(timezone.localdate() + timedelta(days=2 + n)).isoformat() for n in range(300)]
    form = method == "POST" and not path.startswith("/api/")
    return LUA % {
        "cases": ",".join(f'{{"{pk}","{pid}","{s}","{pc}"}}' for pk, pid, s, pc in cases),
        "days": ",".join(f'"{day}"' for day in days),
        "method": method,
        "key": plan["key"],
        "path": path,
        "body": json.dumps(body),
        "content_type": json.dumps(
            "application/x-www-form-urlencoded" if form else "application/json"
        ),
        "cookie": "'" + cookie + "'",
    }


def _ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def wrk(port: int, script: str, seconds: float, connections: int) -> dict:
    out = subprocess.run(  # noqa: S603 - wrk, on loopback
        [shutil.which("wrk") or "wrk", "--threads=1", f"--connections={connections}",
         f"--duration={max(1, round(seconds))}s", "--latency", f"--script={script}",
         f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "bad": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
    }


def measure(port: int, plan: dict, names: list[str], args) -> dict[str, list[dict]]:
    """Each page alternately with its reference view: a warm-up of each, then
    `--rounds` of (reference, page)."""
    runs: dict[str, list[dict]] = {}
    with contextlib.ExitStack() as stack:
        scripts = {}
        for name in {*names, *(PAGES[n][3] for n in names if PAGES[n][3])}:
            script = stack.enter_context(tempfile.NamedTemporaryFile("w", suffix=".lua"))
            script.write(lua(plan, name))
            script.flush()
            scripts[name] = script.name
        for name in names:
            reference = PAGES[name][3]
            if reference is None:
                continue
            for each in (reference, name):
                wrk(port, scripts[each], 2, args.connections)
            for _ in range(args.rounds):
                for each in (reference, name):
                    found = wrk(port, scripts[each], args.seconds, args.connections)
                    runs.setdefault(f"{name} ← {each}", []).append(found)
            print(f"  {name}: done", file=sys.stderr, flush=True)
    return runs


def report(runs: dict[str, list[dict]], names: list[str]) -> None:
    print(
        f"{'page':20} {'req/s':>7} {'ratio':>6} {'target':>6}  {'against':16} "
        f"{'p50 ms':>7} {'p99 ms':>7}  not 2xx/3xx"
    )
    for name in names:
        _method, _path, _body, reference, target = PAGES[name]
        if reference is None:
            continue
        page, base = runs[f"{name} ← {name}"], runs[f"{name} ← {reference}"]
        rps = statistics.mean(r["rps"] for r in page)
        ratio = rps / statistics.mean(r["rps"] for r in base)
        ok = "" if ratio >= target else " (below)"
        for label, found, shown in ((reference, base, "–"), (name, page, f"{ratio:.2f}")):
            print(
                f"{label:20} {statistics.mean(r['rps'] for r in found):7.0f} {shown:>6} "
                f"{target if label == name else '':>6}  {reference if label == name else '':16} "
                f"{statistics.median(r['p50'] for r in found):7.1f} "
                f"{max(r['p99'] for r in found):7.1f}  {sum(r['bad'] for r in found)}"
                f"{ok if label == name else ''} {found[-1]['socket_errors']}"
            )


def profile(plan: dict, name: str, requests: int = 500) -> None:
    """The page's requests made in this process, under cProfile."""
    from django.conf import settings
    from django.test import Client

    method, path, body, _reference, _target = PAGES[name]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plan['key']}", HTTP_HOST="127.0.0.1")
    client.cookies["csrftoken"] = CSRF
    if path.startswith("/admin/"):
        client.cookies[settings.SESSION_COOKIE_NAME] = plan["staff_session"]
    cases = plan["pages"]["repair" if "transition" in name else "any"]
    day = "2099-01-01"

    def one(n: int) -> None:
        pk, pid, session, postcode = cases[n % len(cases)]
        if path.startswith("/track/{id}"):
            client.cookies[settings.SESSION_COOKIE_NAME] = session
        fill = {"{pk}": str(pk), "{id}": pid, "{postcode}": postcode, "{day}": day}
        url, data = path, body
        for key, value in fill.items():
            url, data = url.replace(key, value), data.replace(key, value)
        kind = (
            "application/json" if path.startswith("/api/") else "application/x-www-form-urlencoded"
        )
        answer = client.generic(method, url, data, content_type=kind)
        if answer.status_code >= 400:
            raise RuntimeError(f"{url} answered {answer.status_code}")

    for n in range(20):  # warm the caches
        one(n)
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(requests):
        one(n)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="+", choices=list(PAGES), help="these pages only")
    parser.add_argument("--profile", choices=list(PAGES), help="profile this page instead")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        url = args.database_url or stack.enter_context(harness.Postgres()).url
        env = harness.production_env(
            url,
            DJANGO_SETTINGS_MODULE="benchmarks.bench_settings",
            API_REQUESTS_PER_MINUTE="100000000",
            TRACK_ATTEMPTS_PER_IP="100000000",
            TRACK_ATTEMPTS_PER_REFERENCE="100000000",
            Q_WORKERS="1",
        )
        harness.setup_django()
        plan = seed(args.cases)
        if args.profile:
            profile(plan, args.profile)
            return 0
        names = [n for n in PAGES if PAGES[n][3] and (not args.only or n in args.only)]
        stack.enter_context(harness.Worker(env))
        port = stack.enter_context(harness.gunicorn(env, args.workers))
        runs = measure(port, plan, names, args)
    report(runs, names)
    return 0


if __name__ == "__main__":
    sys.exit(main())

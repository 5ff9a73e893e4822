"""The last thing `make run` prints: once the web server answers, its addresses and the
demo logins (config/Procfile.dev's banner process: `python -m config.banner HOST:PORT`).

It then waits quietly, since honcho stops every process as soon as one of them ends,
and exits 0 on SIGTERM or SIGINT.
"""

import os
import signal
import sys
import time
import urllib.error
import urllib.request

PAGES = [
    ("citizen portal", "/"),
    ("case work (admin)", "/admin/"),
    ("API documentation", "/api/v1/docs/"),
    ("health", "/healthz"),
]
# Where to ask when the server listens on every address.
LOOPBACK = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]"}  # noqa: S104 - only compared


def split_address(address: str) -> tuple[str, str]:
    host, _, port = address.rpartition(":")
    return LOOPBACK.get(host or "127.0.0.1", host or "127.0.0.1"), port


def answers(url: str) -> bool:
    """Does Waymark answer there (not some other server on the port)?"""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - http://ours
            return "X-Request-ID" in response.headers  # config/logging.py sets it
    except urllib.error.HTTPError as error:
        return "X-Request-ID" in error.headers  # it answered, if not with a page
    except OSError:
        return False


def demo_logins() -> tuple[str, list[tuple[str, str]]]:
    """The demo's password and its logins with what each may do, from seed_demo itself."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from cases.management.commands.seed_demo import DEMO_PASSWORD, LOGINS
    from cases.models import Role

    return DEMO_PASSWORD, [
        (username, f"{Role(role).label} at {slug}" if slug and role else "national administrator")
        for username, slug, role in LOGINS
    ]


def banner(base: str, password: str, users: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in PAGES)
    lines = ["", f"Waymark is running at {base}/ (Ctrl-C stops it)", ""]
    lines += [f"  {name:<{width}}  {base}{path}" for name, path in PAGES]
    lines += ["", f"  Demo logins, every password is {password}:"]
    width = max(len(username) for username, _ in users)
    lines += [f"    {username:<{width}}  {role}" for username, role in users]
    return "\n".join([*lines, ""])


def main() -> None:
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    signal.signal(signal.SIGINT, lambda signum, frame: sys.exit(0))
    host, port = split_address(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8000")
    base = f"http://{host}:{port}"
    password, users = demo_logins()
    while not answers(base + "/"):
        time.sleep(0.25)
    time.sleep(0.5)  # so that the server's access-log line for that request comes first
    print(banner(base, password, users), flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()

"""`make run`: honcho runs config/Procfile.dev (web server, worker, banner) after migrate and
seed_demo; the site answers, the worker's heartbeat arrives, and SIGTERM stops every
process cleanly. The Procfile declares the production processes."""

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

import pytest

from tests.helpers import PRODUCTION_ENV, ROOT

needs_honcho = pytest.mark.skipif(
    importlib.util.find_spec("honcho") is None,
    reason="honcho is not installed (a dev dependency: make install)",
)

LOGINS = ["admin", "caseworker", "northshire-admin", "northshire-viewer", "bryn-dewi"]


def run_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment `make run` gives its commands, on a throwaway SQLite database."""
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    for key in ("HTTPS_ONLY", "LOCAL_BACKENDS", "DJANGO_ALLOW_ASYNC_UNSAFE", "LOG_LEVEL"):
        env.pop(key, None)  # the tests' own settings, and set while browser tests run
    env.pop("Q_SYNC", None)
    env.update(
        DEBUG="1",
        LOG_FORMAT="plain",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        # The Makefile puts the virtualenv first, for the Procfile's `python`.
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - http://127.0.0.1
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def process_table() -> list[tuple[int, int]]:
    """(pid, parent pid) of every process: /proc on Linux, ps elsewhere."""
    proc = Path("/proc")
    if not proc.is_dir():
        out = subprocess.run(
            ["ps", "-A", "-o", "pid=,ppid="],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [(int(pid), int(ppid)) for pid, ppid in (line.split() for line in out.splitlines())]
    table = []
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it has just ended
            table.append((int(entry.name), int(stat.rsplit(")", 1)[1].split()[1])))
    return table


def descendants(pid: int) -> set[int]:
    children = defaultdict(list)
    for child, parent in process_table():
        children[parent].append(child)
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children[todo.pop()]:
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited; its new parent reaps it
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return not Path("/proc").is_dir()


def wait_for(condition, timeout: float, what: str, output) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    pytest.fail(f"{what} within {timeout:.0f} s. Output:\n{output()[-6000:]}")


def worker_ok(base: str) -> bool:
    status, body = fetch(f"{base}/healthz")
    try:
        return status in (200, 503) and json.loads(body)["checks"]["worker"]["ok"] is True
    except (ValueError, KeyError):
        return False


@needs_honcho
def test_make_run_processes_start_answer_and_stop_cleanly_on_sigterm(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = run_env(tmp_path, WAYMARK_ADDRESS=f"127.0.0.1:{port}")

    # What `make run` does before honcho (see its recipe).
    migrated = manage("migrate", "--noinput", "-v0", env=env)
    assert migrated.returncode == 0, migrated.stderr
    seeded = manage("seed_demo", env={**env, "LOG_LEVEL": "ERROR", "Q_SYNC": "1"})
    assert seeded.returncode == 0, seeded.stderr
    assert seeded.stderr == ""  # quiet: not a line per case or per message

    log = tmp_path / "honcho.log"
    with log.open("wb") as out:
        honcho = subprocess.Popen(
            [sys.executable, "-m", "honcho", "-f", "config/Procfile.dev", "start"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def output() -> str:
        return log.read_text(errors="replace")

    processes: set[int] = set()
    try:
        wait_for(lambda: fetch(f"{base}/")[0] == 200, 60, "/ did not answer 200", output)
        wait_for(lambda: all(name in output() for name in LOGINS), 15, "no banner", output)
        # The heartbeat is scheduled at migrate; the cluster's scheduler first runs ~30 s
        # after the worker starts.
        wait_for(lambda: worker_ok(base), 90, "/healthz saw no worker heartbeat", output)

        processes = descendants(honcho.pid)
        assert len(processes) >= 6, processes  # web, worker (cluster, sentinel...), banner
        honcho.send_signal(signal.SIGTERM)
        returncode = honcho.wait(timeout=30)
        wait_for(
            lambda: not any(alive(pid) for pid in processes),
            15,
            f"processes still running: {sorted(p for p in processes if alive(p))}",
            output,
        )
    finally:
        for pid in [honcho.pid, *processes]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        honcho.wait(timeout=10)

    text = output()
    assert returncode in (0, 143), text  # 143: honcho passing on the SIGTERM it was sent
    assert "Traceback" not in text
    assert "Segmentation fault" not in text
    assert "SIGKILL" not in text  # honcho did not have to kill anything
    # The cluster stopped itself (config/own_session.py passed it the one signal).
    assert "worker.1 stopped (rc=0)" in text, text
    assert "banner.1 stopped (rc=0)" in text, text
    # Quiet: the worker logs only warnings, and the banner comes after the server's own lines.
    assert not re.search(r"worker\.1 +\|.* INFO ", text), text
    assert text.index("Starting development server") < text.index("Waymark is running at")
    for path in ("/", "/admin/", "/api/v1/docs/", "/healthz"):
        assert f"{base}{path}" in text


CHILD = """
import os, signal, sys, time
got = []
signal.signal(signal.SIGTERM, lambda signum, frame: got.append(signum))
print(os.getsid(0), flush=True)
deadline = time.monotonic() + 20
while not got and time.monotonic() < deadline:
    time.sleep(0.05)
time.sleep(0.5)  # a second signal would have come by now
print(len(got), flush=True)
sys.exit(3)
"""


def test_own_session_passes_one_stop_signal_to_the_command_alone():
    """What keeps qcluster's sentinel and workers out of a group-wide SIGTERM."""
    wrapper = subprocess.Popen(
        [sys.executable, "-m", "config.own_session", sys.executable, "-c", CHILD],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a group of its own, as honcho gives each process
    )
    try:
        child_session = int(wrapper.stdout.readline())
        assert child_session != os.getsid(wrapper.pid)  # out of the wrapper's group
        os.killpg(wrapper.pid, signal.SIGTERM)  # the process manager
        os.killpg(wrapper.pid, signal.SIGTERM)  # and again (a terminal's Ctrl-C, say)
        assert wrapper.stdout.readline().strip() == "1"  # one signal reached the command
        assert wrapper.wait(timeout=10) == 3  # and its exit status is ours
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
        wrapper.stdout.close()


def test_procfile_declares_the_production_processes():
    procfile = dict(
        line.split(":", 1)
        for line in (ROOT / "Procfile").read_text().splitlines()
        if re.match(r"^[A-Za-z0-9_-]+:", line)
    )
    assert set(procfile) == {"web", "worker"}
    assert procfile["web"].split()[:2] == ["gunicorn", "config.wsgi"]
    assert procfile["worker"].strip() == "python -m config.own_session python manage.py qcluster"


def test_make_run_starts_what_this_module_tests():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "LOG_LEVEL=ERROR Q_SYNC=1 $(PY) manage.py seed_demo" in recipe
    assert "honcho -f config/Procfile.dev start" in recipe
    assert "kill 0" not in recipe

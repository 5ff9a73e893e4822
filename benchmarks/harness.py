"""What the benchmarks share: a throwaway PostgreSQL cluster on 127.0.0.1, the product's
production settings pointed at it, gunicorn and a django-q2 worker started the way
`Procfile` starts them, each stopped again when the benchmark ends."""

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} within {seconds} s")


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL's server is not installed (apt install postgresql)")
    return found[-1]


class Postgres:
    """A PostgreSQL cluster of its own in a temp folder, on a free loopback port, with
    `fsync` off (the figures are the software's, not the disk's). Run as root, it runs
    the server as the `postgres` user, since PostgreSQL refuses to run as root."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="waymark-pg-")
        self.data = os.path.join(self.folder, "data")
        self.port = free_port()
        self.url = f"postgres://waymark:waymark@127.0.0.1:{self.port}/waymark"
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as, *command], check=True, capture_output=True)  # noqa: S603

    def start(self) -> "Postgres":
        if self._as:
            shutil.chown(self.folder, "postgres")
        password = os.path.join(self.folder, "password")
        Path(password).write_text("waymark\n")
        if self._as:
            shutil.chown(password, "postgres")
        self._run(
            _pg_bin("initdb"), "-D", self.data, "-U", "waymark", "--auth=scram-sha-256",
            f"--pwfile={password}", "--encoding=UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200 -c shared_buffers=512MB"
        )
        self._run(_pg_bin("pg_ctl"), "-D", self.data, "-o", options, "-w", "-l",
                  os.path.join(self.folder, "log"), "start")  # fmt: skip
        env = {**os.environ, "PGPASSWORD": "waymark"}
        subprocess.run(  # noqa: S603
            [_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "waymark",
             "waymark"],
            check=True, env=env,
        )  # fmt: skip
        return self

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(_pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "Postgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    """The production settings (DEBUG off), on loopback without TLS, with the outside
    services' local backends, set in this process's environment too."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "HTTPS_ONLY": "0",
        "SECRET_KEY": "benchmark-only-" + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOCAL_BACKENDS": "1",
        "LOG_LEVEL": "ERROR",
        "LOG_FORMAT": "plain",
        "PYTHONPATH": str(ROOT),
        **extra,
    }
    os.environ.update(env)
    return env


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@contextlib.contextmanager
def gunicorn(env: dict, workers: int = 2):
    """gunicorn serving the product with `workers` sync workers; yields its port."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, on loopback
        [str(BIN / "gunicorn"), "config.wsgi", f"--bind=127.0.0.1:{port}",
         f"--workers={workers}", "--worker-class=sync", "--log-level=warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        wait_for_port(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


class Worker:
    """`manage.py qcluster`, started in a session of its own (so SIGKILL takes the whole
    cluster: its sentinel, its workers and its pusher)."""

    def __init__(self, env: dict):
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, str(ROOT / "manage.py"), "qcluster"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        return self

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> "Worker":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

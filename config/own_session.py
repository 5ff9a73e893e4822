"""Run a command in a session of its own and pass it one stop signal: `python -m
config.own_session python manage.py qcluster` (both Procfiles' worker).

Process managers such as honcho and foreman stop a process by sending SIGTERM to its
whole process group. That breaks django-q2's cluster: its sentinel and workers, children
of `qcluster` in the same group, die of the SIGTERM at once (the sentinel resets SIGTERM
to the default), so the task being run is lost, and the main process, told to stop in
the same instant, hangs in `stop_event.set()` waiting for a sentinel that is gone until
the manager kills it.

Here the command runs in a new session, out of reach of signals sent to our group, and
the first SIGTERM, SIGINT or SIGHUP that reaches us is passed to the command's main
process only (a SIGHUP as SIGTERM). `qcluster` then stops the way it is built to: the
sentinel hands its workers a poison pill, they finish their task and exit. Should this
process die without passing the signal on (SIGKILL), Linux sends the command SIGTERM.
Our exit status is the command's (128 + N when signal N ended it).

A manager that signals every process of a service, whatever its group (systemd's default
KillMode=control-group), reaches the cluster's children anyway: there, signal only the
main process (KillMode=mixed).
"""

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _stop_with_parent() -> None:
    """In the child before exec: SIGTERM when this process dies (Linux only)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def run(argv: list[str]) -> int:
    child: subprocess.Popen[bytes] | None = None
    seen: list[int] = []  # the stop signals that reached us
    pending: list[int] = []  # one that came before the child existed

    def forward(signum: int, frame: FrameType | None) -> None:
        # Once only: a second signal would re-enter qcluster's own stop in a handler.
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        seen.append(signum)
        if len(seen) > 1:
            return
        signum = signal.SIGTERM if signum == signal.SIGHUP else signum
        if child is None:
            pending.append(signum)
        else:
            _send(child, signum)

    for sig in STOP_SIGNALS:
        signal.signal(sig, forward)
    child = subprocess.Popen(  # noqa: S603 - the Procfile's own command line
        argv,
        start_new_session=True,
        preexec_fn=_stop_with_parent,  # safe: this process runs no threads
    )
    if pending:
        _send(child, pending[0])
    returncode = child.wait()
    return 128 - returncode if returncode < 0 else returncode


def _send(child: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has just ended
        os.kill(child.pid, signum)  # the main process only, never its group


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: python -m config.own_session COMMAND [ARGUMENT ...]")
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()

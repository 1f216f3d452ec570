"""The server as a process: its pid file, SIGHUP reloads, gunicorn's master hooks, and
signalling it from another process.

`advisor kb reload` (and an admin's reload from Slack) reloads in its own process, then sends
SIGHUP to the pid in `<data dir>/server.pid`; under gunicorn the master reloads and replaces
its workers, in Socket Mode the one process reloads (`running`).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.live import DEFAULT_WATCH_SECONDS
from knowledge.errors import AdvisorError

if TYPE_CHECKING:
    from bot.live import LiveAdvisor, ReloadResult
    from bot.settings import Settings

PID_FILE = "server.pid"


class ServerNotRunning(AdvisorError):
    """No advisor server to signal: no pid file, or its process is gone."""


def install_sighup(live: LiveAdvisor) -> Any:
    """Reload in the background on SIGHUP (call from the main thread); returns the old handler."""
    live.start_reload_thread()
    return signal.signal(signal.SIGHUP, lambda _signum, _frame: live.request_reload_from_signal())


def pid_path(data_dir: Path) -> Path:
    return Path(data_dir) / PID_FILE


def write_pid_file(data_dir: Path, pid: int | None = None) -> Path:
    """Record the server's pid (and, on Linux, its start time, to spot a reused pid)."""
    pid = pid or os.getpid()
    path = pid_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{pid} {_start_time(pid) or '-'}\n")
    os.replace(tmp, path)
    return path


def remove_pid_file(data_dir: Path, pid: int | None = None) -> None:
    """Remove the pid file if it still names this process (or `pid`)."""
    path = pid_path(data_dir)
    with suppress(FileNotFoundError, ValueError, IndexError):
        if int(path.read_text().split()[0]) == (pid or os.getpid()):
            path.unlink()


@contextmanager
def pid_file(data_dir: Path) -> Iterator[Path]:
    """Write the pid file for the life of the block."""
    path = write_pid_file(data_dir)
    try:
        yield path
    finally:
        remove_pid_file(data_dir)


def server_pid(data_dir: Path) -> int:
    """The running server's pid, or `ServerNotRunning` saying why not."""
    path = pid_path(data_dir)
    try:
        fields = path.read_text().split()
        pid, started = int(fields[0]), fields[1] if len(fields) > 1 else "-"
    except FileNotFoundError:
        raise ServerNotRunning(f"no advisor server is running ({path} not found); "
                               "a server loads the knowledge base when it starts") from None
    except (ValueError, IndexError):
        raise ServerNotRunning(f"{path} is not a pid file; remove it and restart the server") from None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        raise ServerNotRunning(f"no advisor server is running (stale {path}: pid {pid} is gone)") from None
    except PermissionError:
        pass  # exists, owned by someone else: signalling will say so
    if started != "-" and _start_time(pid) not in (None, started):
        raise ServerNotRunning(f"no advisor server is running (stale {path}: pid {pid} is now "
                               "another process)")
    return pid


def signal_reload(data_dir: Path) -> int:
    """Ask the running server to reload (SIGHUP); returns its pid."""
    pid = server_pid(data_dir)
    try:
        os.kill(pid, signal.SIGHUP)
    except PermissionError:
        raise ServerNotRunning(f"not allowed to signal the advisor server (pid {pid}); "
                               "run this as the user the server runs as") from None
    return pid


@contextmanager
def running(live: LiveAdvisor, settings: Settings, *, sighup: bool = True) -> Iterator[LiveAdvisor]:
    """For a one-process server (Socket Mode): pid file, SIGHUP and file watcher for the block.

    Call from the main thread (signal handlers can only be installed there).
    """
    data_dir = settings.advisor_data_dir
    with pid_file(data_dir):
        previous = install_sighup(live) if sighup else None
        if settings.advisor_watch_seconds > 0 and live.kb_path is not None:
            live.watch(interval=settings.advisor_watch_seconds)
        try:
            yield live
        finally:
            live.close()
            if previous is not None:
                signal.signal(signal.SIGHUP, previous)


def reload_everywhere(live: LiveAdvisor, data_dir: Path, *, reason: str) -> ReloadResult:
    """Reload here (errors come back at once), then ask the server's main process to reload.

    In Socket Mode the server is this process and there is nothing more to do; under gunicorn
    the master reloads on SIGHUP and replaces its workers, so every worker serves the new base.
    """
    result = live.reload(reason=reason)
    if result.ok:
        with suppress(ServerNotRunning):
            if server_pid(data_dir) != os.getpid():
                signal_reload(data_dir)
    return result


def gunicorn_hooks(live: LiveAdvisor, data_dir: Path, *,
                   watch_seconds: float = DEFAULT_WATCH_SECONDS) -> dict[str, Any]:
    """Server hooks for gunicorn's master: pid file, reload on SIGHUP, file watcher.

    On SIGHUP gunicorn calls `on_reload` in the master, then forks new workers (which inherit
    the reloaded advisor) and stops the old ones gracefully once their requests are done.
    """

    def when_ready(server: Any) -> None:
        write_pid_file(data_dir)
        if watch_seconds > 0 and live.kb_path is not None:
            live.watch(interval=watch_seconds, on_change=lambda: os.kill(os.getpid(), signal.SIGHUP))

    def on_reload(server: Any) -> None:
        live.reload(reason="SIGHUP")

    def on_exit(server: Any) -> None:
        live.close()
        remove_pid_file(data_dir)

    return {"when_ready": when_ready, "on_reload": on_reload, "on_exit": on_exit}


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None

"""Benchmark the Slack bot's production server (gunicorn) on loopback.

Drives `advisor serve` with signed `app_mention` events against a fake Slack Web API
(its own process) and prints: ack latency p50/p99, end-to-end latency (request in →
`chat.postMessage` received) p50/p99 at a steady rate, sustained events/s end to end
under a burst, and the server's memory. Bounded in events and time.

    python bench/slack_http.py                  # defaults: 100/s for 10 s, then 400/s for 8 s
    python bench/slack_http.py --json           # the figures as JSON
    python bench/slack_http.py --oauth 20       # OAuth distribution: 20 workspaces installed
                                                # through /slack/install, events spread over them
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.factories import Server  # noqa: E402
from tests.slack.fake_slack import BOT_USER_ID, TEAM_ID  # noqa: E402
from tests.slack.payloads import SECRET, event_body, mention, signed_headers  # noqa: E402

Team = tuple[str, str]
"""(team id, the bot's user id there)."""


def run_fake(ports: mp.Queue, posts: mp.Queue, teams: int = 0) -> None:
    """The fake Web API, in its own process; reports (thread_ts, time) of each post, and
    the OAuth grants of `teams` workspaces as (code, team id, bot user id)."""
    from tests.slack.fake_slack import FakeSlack

    def on_call(call) -> None:
        if call.method == "chat.postMessage":
            posts.put((call.args.get("thread_ts"), call.at))

    fake = FakeSlack(record=False, on_call=on_call).start()
    grants = []
    for i in range(teams):
        code, installed = fake.install(f"T{i:07d}B")
        grants.append((code, installed.team_id, installed.bot_user_id))
    ports.put((fake.base_url, grants))
    threading.Event().wait()


def questions() -> list[str]:
    import yaml

    data = yaml.safe_load((ROOT / "tests" / "data" / "dev_set.yaml").read_text())
    return [item["text"] for item in data]


class Load:
    """Open-loop load: events at a fixed rate, each on a new connection like Slack's."""

    def __init__(self, port: int, texts: list[str], teams: list[Team]):
        self.port, self.texts, self.teams = port, texts, teams
        self.sent: dict[str, float] = {}  # ts -> request start
        self.acks: list[float] = []
        self.errors = 0
        self.n = 0

    def request(self) -> tuple[str, bytes]:
        self.n += 1
        ts = f"{int(time.time())}.{self.n:06d}"
        event = mention(self.texts[self.n % len(self.texts)], channel="CBENCH001", ts=ts)
        team, bot_user = self.teams[self.n % len(self.teams)]
        body = event_body(event, event_id=f"EvBENCH{self.n:08d}", team_id=team,
                          bot_user_id=bot_user)
        headers = signed_headers(body, secret=SECRET)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        raw = (f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
               f"Content-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n{body}")
        return ts, raw.encode()

    async def one(self, ts: str, raw: bytes) -> None:
        start = time.monotonic()
        self.sent[ts] = start
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            writer.write(raw)
            await writer.drain()
            response = await reader.read()
            writer.close()
        except OSError:
            self.errors += 1
            return
        if response.startswith(b"HTTP/1.1 200"):
            self.acks.append(time.monotonic() - start)
        else:
            self.errors += 1

    async def run(self, rate: float, seconds: float) -> list[str]:
        count = int(rate * seconds)
        prepared = [self.request() for _ in range(count)]
        tasks = []
        t0 = time.monotonic()
        for i, (ts, raw) in enumerate(prepared):
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.one(ts, raw)))
        await asyncio.gather(*tasks)
        return [ts for ts, _ in prepared]


class Posts:
    """Collects the fake's post times in a thread."""

    def __init__(self, queue: mp.Queue):
        self.queue, self.at = queue, {}
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            ts, at = self.queue.get()
            self.at[ts] = at

    def wait(self, keys: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(k not in self.at for k in keys):
            time.sleep(0.05)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def tree(pid: int) -> list[int]:
    """A process and its descendants."""
    found, stack = [], [pid]
    while stack:
        p = stack.pop()
        found.append(p)
        try:
            stack += [int(c) for t in Path(f"/proc/{p}/task").iterdir()
                      for c in (t / "children").read_text().split()]
        except OSError:
            continue
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    for p in tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines()
                              if line.startswith("VmRSS")))
        except (OSError, StopIteration):
            continue
    return total / 1024


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children."""
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def phase(load: Load, posts: Posts, rate: float, seconds: float,
          server_pid: int) -> dict[str, float]:
    load.acks.clear()
    errors_before = load.errors
    cpu_before = cpu_s(server_pid)
    t0 = time.monotonic()
    keys = asyncio.run(load.run(rate, seconds))
    posts.wait(keys, timeout=30)
    cpu = cpu_s(server_pid) - cpu_before
    done = [k for k in keys if k in posts.at]
    e2e = [posts.at[k] - load.sent[k] for k in done]
    last = max((posts.at[k] for k in done), default=t0)
    return {
        "offered_per_s": rate, "events": len(keys), "answered": len(done),
        "errors": load.errors - errors_before,
        "ack_p50_ms": pct(load.acks, 50), "ack_p99_ms": pct(load.acks, 99),
        "e2e_p50_ms": pct(e2e, 50), "e2e_p99_ms": pct(e2e, 99),
        "answered_per_s": len(done) / max(last - t0, 1e-9),
        "server_cpu_ms_per_event": cpu / max(len(keys), 1) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100, help="steady events/s")
    parser.add_argument("--seconds", type=float, default=10, help="steady phase length")
    parser.add_argument("--burst-rate", type=float, default=400, help="burst events/s")
    parser.add_argument("--burst-seconds", type=float, default=8, help="burst phase length")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--kb", type=Path, default=None, help="knowledge base (default shipped)")
    parser.add_argument("--oauth", type=int, default=0, metavar="N",
                        help="OAuth distribution with N workspaces installed (default: one "
                        "bot token)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()

    ports, post_queue = mp.Queue(), mp.Queue()
    fake = mp.Process(target=run_fake, args=(ports, post_queue, args.oauth), daemon=True)
    fake.start()
    base_url, grants = ports.get(timeout=30)
    data = Path(tempfile.mkdtemp(prefix="advisor-bench-"))
    env = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": base_url, "DATABASE_URL": f"sqlite:///{data}/log.db",
           "ADVISOR_DATA_DIR": str(data), "LOG_HMAC_SECRET": "bench"}
    if args.oauth:
        del env["SLACK_BOT_TOKEN"]
        env |= {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "bench"}
    if args.kb:
        env["ADVISOR_KB_PATH"] = str(args.kb)
    server = Server(env, workers=args.workers, log_path=data / "server.log").start(timeout=180)
    try:
        teams: list[Team] = [(TEAM_ID, BOT_USER_ID)]
        if grants:
            installs = [time.monotonic()]
            for code, team, _ in grants:
                status, _ = server.install(code)
                assert status == 200, f"install of {team} answered {status}"
                installs.append(time.monotonic())
            teams = [(team, bot_user) for _, team, bot_user in grants]
            install_ms = [(b - a) * 1000 for a, b in itertools.pairwise(installs)]
        load, posts = Load(server.port, questions(), teams), Posts(post_queue)
        pid = server.proc.pid
        phase(load, posts, 50, 2, pid)  # warm-up
        steady = phase(load, posts, args.rate, args.seconds, pid)
        burst = phase(load, posts, args.burst_rate, args.burst_seconds, pid)
        memory = rss_mb(server.proc.pid)
    finally:
        server.stop()
        fake.terminate()
    figures = {"workers": args.workers, "workspaces": args.oauth or None, "steady": steady,
               "burst": burst, "server_rss_mb": round(memory, 1)}
    if grants:
        figures["install_ms_p50"] = statistics.median(install_ms)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    mode = (f"OAuth distribution, {args.oauth} workspaces (install p50 "
            f"{figures['install_ms_p50']:.0f} ms)" if grants else "one bot token")
    print(f"Slack HTTP benchmark: gunicorn, {args.workers} workers, loopback, fake Web API, "
          f"{mode}")
    for name, f in (("steady", steady), ("burst", burst)):
        print(f"  {name:6} {f['offered_per_s']:.0f} events/s offered, {f['answered']}/"
              f"{f['events']} answered, {f['errors']} errors")
        print(f"         ack p50 {f['ack_p50_ms']:.1f} ms  p99 {f['ack_p99_ms']:.1f} ms  |  "
              f"end-to-end p50 {f['e2e_p50_ms']:.1f} ms  p99 {f['e2e_p99_ms']:.1f} ms  |  "
              f"{f['answered_per_s']:.0f} answered/s  |  server CPU "
              f"{f['server_cpu_ms_per_event']:.2f} ms/event")
    print(f"  sustained end to end: {burst['answered_per_s']:.0f} events/s "
          f"(median of e2e under burst {statistics.median([burst['e2e_p50_ms']]):.0f} ms)")
    print(f"  server memory (master + workers): {memory:.0f} MB RSS")
    print(f"  machine load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

"""Benchmark the Slack bot's production server (gunicorn) on loopback.

Drives `advisor serve` with signed `app_mention` events, each on a new connection as Slack
sends them, against a fake Slack Web API in its own process, and prints for each offered
rate (100, 200, 400 and 800 events/s by default): ack latency p50/p99, answers and busy
notices per second, end-to-end latency of answers (request sent → `chat.postMessage`
received) p50/p99, events shed (from each worker's `/healthz`), events left without any
reply, duplicate replies and errors. Setups: one server on SQLite, one on PostgreSQL, two
servers sharing PostgreSQL (events alternate between them, as behind a load balancer), and
`kill`: one worker killed with SIGKILL during a 200 events/s run, then conversation-log
rows expected vs stored and duplicate replies.

`--oauth N` runs every chosen setup with OAuth distribution: N workspaces installed through
`/slack/install` (the fake answering `oauth.v2.access`; with two servers, in turn through
each), events spread over them; it prints the install p50 too.

    python bench/slack_http.py                  # everything, under ~10 minutes
    python bench/slack_http.py --quick          # 3 s per rate instead of 8 (~3 minutes)
    python bench/slack_http.py --setups sqlite,kill --rates 100,400 --json
    python bench/slack_http.py --quick --setups sqlite --rates 100 --oauth 20

The fake runs at nice 10 (Slack's own servers take none of the server's CPU in
production); the load generator, which stands for Slack too, at the normal priority.

PostgreSQL: `--pg` (or TEST_DATABASE_URL, as the tests) names a server where a private
database is created for the run and dropped after; unreachable, those setups are skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.slack.busy import BUSY  # noqa: E402
from bot.slack.listeners.messages import ANSWER_EVENT  # noqa: E402
from tests.factories import Server  # noqa: E402
from tests.slack.fake_slack import BOT_USER_ID, TEAM_ID  # noqa: E402
from tests.slack.payloads import SECRET, event_body, mention, signed_headers  # noqa: E402

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
RATES = (100, 200, 400, 800)
SETUPS = ("sqlite", "postgresql", "two-servers", "kill")

Team = tuple[str, str]
"""(team id, the bot's user id there)."""
Grant = tuple[str, str, str]
"""(OAuth code, team id, the bot's user id there)."""


def run_fake(ports: mp.Queue, posts: mp.Queue, asked: mp.Queue, grants: mp.Queue) -> None:
    """The fake Web API, in its own process; reports (thread_ts, time, kind) of each post,
    kind being "answer", "busy" (the shed notice) or "other"; for each count put on `asked`,
    puts on `grants` that many new OAuth grants (workspaces T0000000B, T0000001B, …), as a
    list of `Grant`: codes are single-use, so each setup asks for its own."""
    from tests.slack.fake_slack import FakeSlack

    # Slack's Web API runs on Slack's machines, not on the server's cores: the fake yields
    # the CPU as the server's own background threads do (`bot/thread_priority.py`)
    os.nice(10)

    def on_call(call) -> None:
        if call.method == "chat.postMessage":
            metadata = call.args.get("metadata") or {}
            kind = ("answer" if isinstance(metadata, dict)
                    and metadata.get("event_type") == ANSWER_EVENT
                    else "busy" if call.args.get("text") == BUSY else "other")
            posts.put((call.args.get("thread_ts"), call.at, kind))

    fake = FakeSlack(record=False, on_call=on_call).start()
    ports.put(fake.base_url)
    while True:
        count = asked.get()
        granted = []
        for i in range(count):
            code, installed = fake.install(f"T{i:07d}B")
            granted.append((code, installed.team_id, installed.bot_user_id))
        grants.put(granted)


def questions() -> list[str]:
    import yaml

    data = yaml.safe_load((ROOT / "tests" / "data" / "dev_set.yaml").read_text())
    return [item["text"] for item in data]


class Load:
    """Open-loop load: events at a fixed rate, each on a new connection like Slack's, taking
    `ports` in turn and spread over `teams`."""

    def __init__(self, ports: list[int], texts: list[str], teams: list[Team]):
        self.ports, self.texts, self.teams = ports, texts, teams
        self.sent: dict[str, float] = {}  # ts -> request start
        self.event_ids: dict[str, str] = {}  # ts -> event id
        self.acks: list[float] = []
        self.acked: set[str] = set()
        self.errors = 0
        self.n = 0

    def request(self) -> tuple[str, bytes]:
        self.n += 1
        ts = f"{int(time.time())}.{self.n:06d}"
        event = mention(self.texts[self.n % len(self.texts)], channel="CBENCH001", ts=ts)
        self.event_ids[ts] = f"EvBENCH{os.getpid()}x{self.n:08d}"
        team, bot_user = self.teams[self.n % len(self.teams)]
        body = event_body(event, event_id=self.event_ids[ts], team_id=team,
                          bot_user_id=bot_user)
        headers = signed_headers(body, secret=SECRET)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        raw = (f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
               f"Content-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n{body}")
        return ts, raw.encode()

    async def one(self, ts: str, raw: bytes, port: int) -> None:
        start = time.monotonic()
        self.sent[ts] = start
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(raw)
            await writer.drain()
            response = await reader.read()
            writer.close()
        except OSError:
            self.errors += 1
            return
        if response.startswith(b"HTTP/1.1 200"):
            self.acks.append(time.monotonic() - start)
            self.acked.add(ts)
        else:
            self.errors += 1

    async def run(self, rate: float, seconds: float,
                  at: tuple[float, Callable[[], None]] | None = None) -> tuple[list[str], float]:
        """Send for `seconds`; `at` = (fraction of the run, action) does something midway.
        Returns the events' keys and the rate actually sent."""
        count = int(rate * seconds)
        prepared = [self.request() for _ in range(count)]
        tasks = []
        t0 = time.monotonic()
        for i, (ts, raw) in enumerate(prepared):
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if at is not None and i == int(at[0] * count):
                at[1]()
            tasks.append(asyncio.create_task(self.one(ts, raw, self.ports[i % len(self.ports)])))
        sent_in = time.monotonic() - t0
        await asyncio.gather(*tasks)
        return [ts for ts, _ in prepared], count / max(sent_in, 1e-9)


class Posts:
    """Collects the fake's posts in a thread: thread_ts -> [(time, kind), …]."""

    def __init__(self, queue: mp.Queue):
        self.queue, self.at = queue, {}
        self.last = time.monotonic()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            ts, at, kind = self.queue.get()
            self.at.setdefault(ts, []).append((at, kind))
            self.last = time.monotonic()

    def wait(self, keys: list[str], timeout: float, quiet: float = 5.0) -> None:
        """Until every key has a reply, or none came for `quiet` seconds, or `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(k not in self.at for k in keys):
            if time.monotonic() - self.last > quiet:
                return
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



def shed_so_far(servers: list[Server], workers: int) -> int:
    """Events shed so far, summed over every worker's `/healthz` (each answers for itself;
    asked until each server's workers have all answered, or 40 tries)."""
    total = 0
    for server in servers:
        seen: dict[int, int] = {}
        for _ in range(40):
            try:
                load = json.loads(server.request("GET", "/healthz")[1])["load"]
            except (OSError, ValueError, KeyError):
                continue
            seen[load["pid"]] = load["shed"]
            if len(seen) >= workers:
                break
        total += sum(seen.values())
    return total


def phase(load: Load, posts: Posts, servers: list[Server], workers: int, rate: float,
          seconds: float, at: tuple[float, Callable[[], None]] | None = None) -> dict[str, float]:
    """One run at `rate` for `seconds`, then the figures once the replies have come."""
    load.acks.clear()
    errors_before = load.errors
    shed_before = shed_so_far(servers, workers)
    cpu_before = sum(cpu_s(s.proc.pid) for s in servers)
    t0 = time.monotonic()
    keys, sent_rate = asyncio.run(load.run(rate, seconds, at))
    posts.wait(keys, timeout=60)
    cpu = sum(cpu_s(s.proc.pid) for s in servers) - cpu_before
    replies = {k: posts.at[k] for k in keys if k in posts.at}
    answers = {k: next(at for at, kind in r if kind == "answer")
               for k, r in replies.items() if any(kind == "answer" for _, kind in r)}
    busy = [k for k, r in replies.items() if any(kind == "busy" for _, kind in r)]
    e2e = [at - load.sent[k] for k, at in answers.items()]
    last = max([at for r in replies.values() for at, _ in r], default=t0)
    span = max(last - t0, 1e-9)
    return {
        "offered_per_s": rate, "sent_per_s": round(sent_rate, 1), "events": len(keys),
        "acked": sum(k in load.acked for k in keys), "errors": load.errors - errors_before,
        "ack_p50_ms": pct(load.acks, 50), "ack_p99_ms": pct(load.acks, 99),
        "answers": len(answers), "busy_notices": len(busy),
        "answers_per_s": len(answers) / span, "busy_per_s": len(busy) / span,
        "e2e_p50_ms": pct(e2e, 50), "e2e_p99_ms": pct(e2e, 99),
        "shed": shed_so_far(servers, workers) - shed_before,
        "no_reply": sum(k not in replies for k in keys),
        "duplicate_replies": sum(len(r) - 1 for r in replies.values()),
        "server_cpu_ms_per_event": cpu / max(len(keys), 1) * 1000,
    }


class Bench:
    """The fake Web API, the collected posts, and servers started on demand."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.ports, post_queue = mp.Queue(), mp.Queue()
        self.asked, self.grants = mp.Queue(), mp.Queue()
        self.fake = mp.Process(target=run_fake, daemon=True,
                               args=(self.ports, post_queue, self.asked, self.grants))
        self.fake.start()
        self.base_url = self.ports.get(timeout=30)
        self.posts = Posts(post_queue)
        self.texts = questions()

    def servers(self, count: int, database_url: str | None) -> list[Server]:
        """`count` servers, each with its own data folder, on SQLite or `database_url`."""
        started = []
        for n in range(count):
            data = Path(tempfile.mkdtemp(prefix="advisor-bench-"))
            env = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
                   "SLACK_API_URL": self.base_url, "ADVISOR_DATA_DIR": str(data),
                   "DATABASE_URL": database_url or f"sqlite:///{data}/log.db",
                   "LOG_HMAC_SECRET": "bench", "ADVISOR_WATCH_SECONDS": "0"}
            if self.args.oauth:
                del env["SLACK_BOT_TOKEN"]
                env |= {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "bench"}
            if self.args.kb:
                env["ADVISOR_KB_PATH"] = str(self.args.kb)
            if self.args.queue_depth:
                env["ADVISOR_QUEUE_DEPTH"] = str(self.args.queue_depth)
            server = Server(env, workers=self.args.workers, log_path=data / f"server{n}.log")
            server.data = data
            started.append(server.start(timeout=180))
        return started

    def install(self, servers: list[Server]) -> tuple[list[Team], dict]:
        """With `--oauth N`, N workspaces installed through the servers in turn (as behind a
        load balancer), and the install figures; else the one bot token's team."""
        if not self.args.oauth:
            return [(TEAM_ID, BOT_USER_ID)], {"workspaces": None}
        self.asked.put(self.args.oauth)
        grants: list[Grant] = self.grants.get(timeout=60)
        took = []
        for i, (code, team, _) in enumerate(grants):
            start = time.monotonic()
            status, _ = servers[i % len(servers)].install(code)
            took.append(time.monotonic() - start)
            if status != 200:
                raise RuntimeError(f"the install of workspace {team} answered {status}")
        return ([(team, bot_user) for _, team, bot_user in grants],
                {"workspaces": len(grants), "install_p50_ms": statistics.median(took) * 1000})

    def rates(self, name: str, count: int, database_url: str | None) -> dict:
        servers = self.servers(count, database_url)
        try:
            teams, installs = self.install(servers)
            load = Load([s.port for s in servers], self.texts, teams)
            phase(load, self.posts, servers, self.args.workers, 50, 2)  # warm-up
            runs = [phase(load, self.posts, servers, self.args.workers, rate, self.args.seconds)
                    for rate in self.args.rates]
            memory = sum(rss_mb(s.proc.pid) for s in servers)
        finally:
            for server in servers:
                server.stop()
        return {"setup": name, "servers": count, "workers": self.args.workers, **installs,
                "runs": runs, "server_rss_mb": round(memory, 1)}

    def kill(self, rate: float = 200, seconds: float = 10) -> dict:
        """SIGKILL one worker 40 % into a run; then rows expected vs stored in the log."""
        [server] = self.servers(1, None)
        killed: list[int] = []

        def kill_one() -> None:
            workers = [p for p in tree(server.proc.pid) if p != server.proc.pid
                       and Path(f"/proc/{p}/task/{p}").exists()]
            if workers:
                os.kill(workers[0], signal.SIGKILL)
                killed.append(workers[0])

        try:
            teams, installs = self.install([server])
            load = Load([server.port], self.texts, teams)
            phase(load, self.posts, [server], self.args.workers, 50, 2)  # warm-up
            run = phase(load, self.posts, [server], self.args.workers, rate, seconds,
                        at=(0.4, kill_one))
            keys = list(load.sent)[-run["events"]:]
        finally:
            server.stop()  # flushes the log, as a restart would
        stored = stored_event_ids(f"sqlite:///{server.data}/log.db", server.data)
        replies = {k: {kind for _, kind in self.posts.at.get(k, [])} for k in keys}
        # every acknowledged event that was not shed should be answered and logged
        expected = {load.event_ids[k] for k in keys
                    if k in load.acked and "busy" not in replies[k]}
        unanswered = [k for k in keys if load.event_ids[k] in expected
                      and "answer" not in replies[k]]
        return {"setup": "kill", "killed_worker": killed[0] if killed else None, **installs,
                **run,
                "rows_expected": len(expected), "rows_stored": len(expected & stored),
                "rows_lost": len(expected - stored), "acked_never_answered": len(unanswered),
                "never_answered_but_stored": sum(load.event_ids[k] in stored
                                                 for k in unanswered)}

    def close(self) -> None:
        self.fake.terminate()


def stored_event_ids(database_url: str, data_dir: Path) -> set[str]:
    from sqlalchemy import text

    from bot.log.db import make_engine, normalize_url

    engine = make_engine(normalize_url(database_url, data_dir))
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT event_id FROM exchange"))
                    if row[0]}
    finally:
        engine.dispose()


class PostgreSQL:
    """A private database on the server at `admin_url` for the run, with the log's schema."""

    def __init__(self, admin_url: str):
        import psycopg

        self.admin_url, self.name = admin_url, f"advisor_bench_{secrets.token_hex(6)}"
        with psycopg.connect(admin_url, connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.url = f"{admin_url.rsplit('/', 1)[0]}/{self.name}"

    def fresh(self) -> str:
        """The database, emptied and upgraded to the log's schema."""
        from sqlalchemy import text

        from bot.log.db import make_engine, normalize_url, upgrade

        engine = make_engine(normalize_url(self.url, Path(".")))
        try:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            upgrade(engine)
        finally:
            engine.dispose()
        return self.url

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def tokens(result: dict) -> str:
    """How the setup's requests were authorised: one bot token, or OAuth distribution."""
    if not result["workspaces"]:
        return "one bot token"
    return (f"OAuth distribution, {workspaces(result['workspaces'])} (install p50 "
            f"{result['install_p50_ms']:.0f} ms)")


def workspaces(count: int) -> str:
    return f"{count} workspace{'' if count == 1 else 's'}"


def print_rates(result: dict) -> None:
    print(f"\n{result['setup']}: {result['servers']} server(s) x {result['workers']} "
          f"workers, {tokens(result)}, server memory {result['server_rss_mb']:.0f} MB RSS")
    print("  offered  sent/s  ack p50  ack p99 | answers/s  e2e p50  e2e p99 | busy/s  shed"
          "  no reply  dup  errors  CPU ms/event")
    for r in result["runs"]:
        print(f"  {r['offered_per_s']:5.0f}/s {r['sent_per_s']:6.0f} {r['ack_p50_ms']:6.1f} ms "
              f"{r['ack_p99_ms']:6.1f} ms | {r['answers_per_s']:7.0f}  {r['e2e_p50_ms']:6.0f} ms "
              f"{r['e2e_p99_ms']:6.0f} ms | {r['busy_per_s']:5.0f} {r['shed']:5d} "
              f"{r['no_reply']:8d} {r['duplicate_replies']:4d} {r['errors']:6d}  "
              f"{r['server_cpu_ms_per_event']:8.2f}")


def print_kill(r: dict) -> None:
    print(f"\nkill: SIGKILL of one worker (pid {r['killed_worker']}) 40 % into "
          f"{r['events']} events at {r['offered_per_s']:.0f}/s, SQLite, {tokens(r)}")
    print(f"  acked {r['acked']}/{r['events']}, answers {r['answers']}, busy notices "
          f"{r['busy_notices']}, acked but never answered {r['acked_never_answered']} "
          f"(queued or in hand in the killed worker), errors {r['errors']}")
    print(f"  log rows expected {r['rows_expected']} (one per acknowledged event not shed), "
          f"stored {r['rows_stored']}, lost {r['rows_lost']}; of the events never answered, "
          f"{r['never_answered_but_stored']} are logged (answered, then killed before the "
          f"post); duplicate replies {r['duplicate_replies']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=lambda v: [float(x) for x in v.split(",")],
                        default=list(RATES), help="offered events/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=8, help="length of each rate's run")
    parser.add_argument("--quick", action="store_true", help="3 s per rate")
    parser.add_argument("--setups", type=lambda v: v.split(","), default=list(SETUPS),
                        help=f"comma-separated, of {', '.join(SETUPS)}")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers per server (default the server's: two per core)")
    parser.add_argument("--queue-depth", type=int, default=None,
                        help="ADVISOR_QUEUE_DEPTH (default the server's)")
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL") or PG_DEFAULT,
                        help="PostgreSQL server to create the run's database on")
    parser.add_argument("--kb", type=Path, default=None, help="knowledge base (default shipped)")
    parser.add_argument("--oauth", type=int, default=0, metavar="N",
                        help="OAuth distribution with N workspaces installed in every setup "
                        "(default: one bot token)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    if args.workers is None:
        from bot.settings import default_workers

        args.workers = default_workers()
    if args.quick:
        args.seconds = 3
    unknown = set(args.setups) - set(SETUPS)
    if unknown:
        parser.error(f"unknown setups {', '.join(sorted(unknown))}: choose of {', '.join(SETUPS)}")
    if args.oauth < 0:
        parser.error("--oauth takes a number of workspaces, 1 or more (0: one bot token)")

    bench, pg, results = Bench(args), None, []
    started = time.monotonic()
    if not args.json:
        mode = f"OAuth distribution, {workspaces(args.oauth)}" if args.oauth else "one bot token"
        print(f"Slack HTTP benchmark: gunicorn, loopback, fake Web API, {mode}; {args.seconds:g} "
              f"s per rate; machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} "
              "cores")
    try:
        for setup in args.setups:
            if setup in ("postgresql", "two-servers") and pg is None:
                try:
                    pg = PostgreSQL(args.pg)
                except Exception as exc:  # whatever stops it, the setup is skipped, saying why
                    print(f"\n{setup}: skipped, PostgreSQL not reachable at "
                          f"{args.pg.split('@')[-1]} ({type(exc).__name__})")
                    continue
            if setup == "kill":
                result = bench.kill()
            else:
                count = 2 if setup == "two-servers" else 1
                result = bench.rates(setup, count, pg.fresh() if setup != "sqlite" else None)
            results.append(result)
            if not args.json:
                (print_kill if setup == "kill" else print_rates)(result)
    finally:
        bench.close()
        if pg is not None:
            pg.drop()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"\n{time.monotonic() - started:.0f} s in all; machine load average now "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

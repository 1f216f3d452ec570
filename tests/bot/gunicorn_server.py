"""A tiny gunicorn server around a LiveAdvisor, for the hot-reload test: /healthz only.

Run as `python -m tests.bot.gunicorn_server KB_DIR DATA_DIR PORT`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from bot.live import LiveAdvisor
from bot.server_process import gunicorn_hooks


def main(kb_dir: str, data_dir: str, port: str) -> None:
    live = LiveAdvisor.load(Path(kb_dir))

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = json.dumps(live.health()).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            settings = {"bind": f"127.0.0.1:{port}", "workers": 2, "worker_class": "sync",
                        "graceful_timeout": 5, "loglevel": "warning",
                        **gunicorn_hooks(live, Path(data_dir), watch_seconds=0)}
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    Server().run()


if __name__ == "__main__":
    main(*sys.argv[1:4])

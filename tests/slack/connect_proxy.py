"""A small outbound proxy on 127.0.0.1, as a government network puts in front of Slack.

It tunnels `CONNECT host:port` (HTTPS and websockets) and forwards absolute-URI requests
(`POST http://host/api/… HTTP/1.1`, how clients send plain HTTP through a proxy), and
records both, so tests can see which calls went through it.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from urllib.parse import urlsplit


class ConnectProxy:
    """Start with `.start()`; `url` goes into HTTPS_PROXY; `.stop()` when done."""

    def __init__(self) -> None:
        self.connects: list[str] = []  # "host:port" of each CONNECT
        self.forwards: list[str] = []  # the absolute URI of each forwarded request
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.connection, self.rfile)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> ConnectProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def forwarded_paths(self) -> list[str]:
        with self._lock:
            return [urlsplit(uri).path for uri in self.forwards]

    def _handle(self, client: socket.socket, rfile) -> None:
        request_line = rfile.readline(65537).decode("latin-1")
        method, target, version = request_line.split()
        headers = []
        while (line := rfile.readline(65537)) not in (b"\r\n", b"\n", b""):
            headers.append(line)
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            with self._lock:
                self.connects.append(target)
            upstream = socket.create_connection((host, int(port)), timeout=10)
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            parts = urlsplit(target)
            with self._lock:
                self.forwards.append(target)
            upstream = socket.create_connection((parts.hostname, parts.port or 80), timeout=10)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            head = f"{method} {path} {version}\r\n".encode("latin-1") + b"".join(
                h for h in headers if not h.lower().startswith(b"proxy-")) + b"\r\n"
            upstream.sendall(head)
        self._pipe(client, rfile, upstream)

    @staticmethod
    def _pipe(client: socket.socket, rfile, upstream: socket.socket) -> None:
        """Copy bytes both ways until either side closes (what the header reads buffered
        goes first: `rfile.read1` returns it before reading the socket again)."""

        def to_client() -> None:
            with contextlib.suppress(OSError):
                while data := upstream.recv(65536):
                    client.sendall(data)
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_WR)

        back = threading.Thread(target=to_client, daemon=True)
        back.start()
        with contextlib.suppress(OSError):
            while data := rfile.read1(65536):
                upstream.sendall(data)
        with contextlib.suppress(OSError):
            upstream.shutdown(socket.SHUT_WR)
        back.join(timeout=30)
        upstream.close()

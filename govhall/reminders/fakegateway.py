"""A local fake SMS gateway: tests, the demo and `govhall reminders fake-gateway`.

It speaks the adapter's wire format (`POST {"phone", "text", "request_id"}`) and behaves like a
real gateway that dedupes on `request_id`: every request is kept in `requests`, but a request id
it has already taken is not sent to the "handset" again (`handset` keeps one message per id).
`stall_at=N` holds the N-th request (after taking it) without answering until `release` is set —
the moment a worker is killed in the crash test; `fail_first=N` answers 503 to the first N;
`accept_only` answers "accepted" (a delivery receipt comes later) instead of "delivered".
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from govhall.monitor.notifiers import sign


class FakeGateway:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        secret: str = "",
        stall_at: int = 0,
        fail_first: int = 0,
        accept_only: bool = False,
    ) -> None:
        self.requests: list[dict[str, Any]] = []
        self.handset: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.bad_signatures = 0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with gateway.lock:
                    body = json.dumps(
                        {"requests": len(gateway.requests), "messages": list(gateway.handset.values())},
                        ensure_ascii=False,
                    ).encode()
                self._answer(200, body)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if secret:
                    expected = "sha256=" + sign(secret, self.headers.get("X-Govhall-Timestamp", ""), raw)
                    if self.headers.get("X-Govhall-Signature") != expected:
                        with gateway.lock:
                            gateway.bad_signatures += 1
                        self._answer(401, b'{"error": "bad signature"}')
                        return
                try:
                    message = json.loads(raw)
                    request_id = str(message["request_id"])
                except (ValueError, KeyError, TypeError):
                    self._answer(400, b'{"error": "bad request"}')
                    return
                with gateway.lock:
                    number = len(gateway.requests) + 1
                    gateway.requests.append(message)
                    failing = number <= fail_first
                    if not failing and request_id not in gateway.handset:  # the gateway's dedupe
                        gateway.handset[request_id] = message
                if failing:
                    self._answer(503, b'{"error": "busy"}')
                    return
                if stall_at and number == stall_at:
                    gateway.stalled.set()
                    gateway.release.wait(timeout=60)
                self._answer(
                    200,
                    json.dumps(
                        {
                            "message_id": f"fg-{request_id}",
                            "status": "accepted" if accept_only else "delivered",
                        }
                    ).encode(),
                )

            def _answer(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the sender died while we stalled

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_port}/sms"

    def start(self) -> FakeGateway:
        threading.Thread(target=self.server.serve_forever, name="fake-sms-gateway", daemon=True).start()
        return self

    def posts_per_id(self) -> dict[str, int]:
        with self.lock:
            counts: dict[str, int] = {}
            for message in self.requests:
                counts[message["request_id"]] = counts.get(message["request_id"], 0) + 1
            return counts

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

"""A local HTTP server that answers like GOV.UK Notify's send endpoints, for benchmarks.

It accepts POST /v2/notifications/{email,sms,letter} (201 with a new id), GET
/v2/notifications?reference=… (nothing found) and records when each send arrived.
"""

import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeNotify:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, latency: float = 0.0):
        self.sends: list[float] = []
        self.references: set[str] = set()
        self.duplicates = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Notify's servers do

            def setup(self):
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length) or b"{}")
                if latency:
                    time.sleep(latency)
                with fake._lock:
                    fake.sends.append(time.monotonic())
                    reference = payload.get("reference", "")
                    if reference in fake.references:
                        fake.duplicates += 1
                    fake.references.add(reference)
                self._answer(201, {"id": str(uuid.uuid4()), "reference": reference})

            def do_GET(self):
                self._answer(200, {"notifications": [], "links": {}})

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()

    def max_in_window(self, seconds: float = 60.0) -> int:
        """The most sends that arrived within any `seconds`-long span."""
        times = sorted(self.sends)
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= seconds:
                start += 1
            best = max(best, end - start + 1)
        return best

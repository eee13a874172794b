"""A webhook target that takes requests and answers none of them, until it is told to.

It counts the requests it holds (one per request line read), so a test can wait until a given
number hang and later check that no more arrived. ``answer()`` makes it answer every held and
later request with ``204``.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class HangingTarget:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}/status"
        self._lock = threading.Lock()
        self._answering = threading.Event()
        self._closed = threading.Event()
        self._connections: list[socket.socket] = []
        self.requests = 0  # request lines received, answered or not
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def __enter__(self) -> HangingTarget:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def answer(self) -> None:
        """From now on, answer every request (those held too)."""
        self._answering.set()

    def close(self) -> None:
        self._closed.set()
        self._answering.set()
        self._listener.close()
        with self._lock:
            for conn in self._connections:
                conn.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        try:
            while True:
                head, sep, rest = buffer.partition(b"\r\n\r\n")
                if not sep:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                    continue
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                while len(rest) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    rest += chunk
                buffer = rest[length:]
                with self._lock:
                    self.requests += 1
                self._answering.wait()
                if self._closed.is_set():
                    return
                conn.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            return
        finally:
            conn.close()

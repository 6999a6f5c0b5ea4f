"""Upstreams that misbehave on purpose, over real sockets: each answers from a script.

`scripted(script)` listens on 127.0.0.1 in a thread; for every request it reads the head and
the body (by Content-Length), then calls `script(path, sock)`, which writes whatever bytes it
likes (slowly, partly, or not at all) and returns; the connection is then closed. Raw bytes,
so an upstream can trickle its status line or break off mid-body, which no HTTP framework
would let it do.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

Script = Callable[[str, socket.socket], None]
ANSWER = b'{"detail":"abcdefghijk"} '  # 25 bytes of JSON
HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 25\r\n"
    b"connection: close\r\n\r\n"
)


def _read_request(sock: socket.socket) -> str:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return ""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        (int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length")),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return lines[0].split(" ")[1]


@contextmanager
def scripted(script: Script) -> Iterator[str]:
    """An upstream answering every request with `script`; yields its base URL."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    stopping = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn, suppress(OSError):
            conn.settimeout(10)
            path = _read_request(conn)
            if path:
                script(path, conn)

    def accept() -> None:
        while not stopping.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stopping.set()
        thread.join(5)
        server.close()


def trickle(data: bytes, every: float) -> Callable[[socket.socket], None]:
    """Send `data` one byte every `every` seconds."""

    def send(sock: socket.socket) -> None:
        for index in range(len(data)):
            sock.sendall(data[index : index + 1])
            time.sleep(every)

    return send


def misbehaving(path: str, sock: socket.socket) -> None:
    """By path: `/slow-head` trickles its status line and headers (0.05 s a byte); `/slow-body`
    sends its head at once and its body a byte every 0.1 s; `/silent` answers after 5 s;
    `/broken` sends its head and 9 of 25 bytes, then closes; `/broken-later` sends 9 bytes,
    waits, sends 5 more, then closes; anything else answers at once."""
    if path == "/slow-head":
        trickle(HEAD + ANSWER, 0.05)(sock)
    elif path == "/slow-body":
        sock.sendall(HEAD)
        trickle(ANSWER, 0.1)(sock)
    elif path == "/silent":
        time.sleep(5)
        sock.sendall(HEAD + ANSWER)
    elif path == "/broken":
        sock.sendall(HEAD + ANSWER[:9])
    elif path == "/broken-later":
        sock.sendall(HEAD + ANSWER[:9])
        time.sleep(0.2)
        sock.sendall(ANSWER[9:14])
        time.sleep(0.05)
    else:
        sock.sendall(HEAD + ANSWER)

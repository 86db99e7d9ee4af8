"""Answers for the connections a busy server refuses, delivered off the accept loop.

The visualizer serves at most ``MAX_HANDLERS`` requests at once; each further
connection gets a complete ``503`` with ``Retry-After`` from :class:`Refuser`'s one
thread, so a burst of hundreds of connections never stalls the accept loop (which
would leave them queued and unanswered).
"""

import selectors
import threading
import time

MAX_REFUSING = 1024       # 503 answers being delivered at once; beyond, closed at once
REFUSE_LINGER = 2         # seconds a refused client has to send its request and leave


class Refuser:
    """One thread that answers refused connections: the 503 is sent at once (it fits in
    the socket's buffer), then the client's request is read away for up to
    :data:`REFUSE_LINGER` seconds (closing with unread data would reset the connection
    before the client reads the answer), then the socket is closed. At most
    :data:`MAX_REFUSING` at a time: beyond, a connection is closed without an answer."""

    def __init__(self, close):
        self._close = close
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._pending = {}             # socket -> deadline
        self._stopped = False
        self._thread = None

    def refuse(self, sock, answer):
        try:
            sock.setblocking(False)
            sock.send(answer)
        except OSError:
            self._close(sock)
            return
        with self._lock:
            if self._stopped or len(self._pending) >= MAX_REFUSING:
                self._close(sock)
                return
            self._pending[sock] = time.monotonic() + REFUSE_LINGER
            self._selector.register(sock, selectors.EVENT_READ)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="scratchcnn-refuser")
                self._thread.start()

    def _drop(self, sock):
        self._pending.pop(sock, None)
        try:
            self._selector.unregister(sock)
        except (KeyError, ValueError):
            pass
        self._close(sock)

    def _run(self):
        while True:
            with self._lock:
                if self._stopped:
                    for sock in list(self._pending):
                        self._drop(sock)
                    return
                empty = not self._pending
            if empty:
                time.sleep(0.05)
                continue
            for key, _ in self._selector.select(timeout=0.1):
                try:
                    data = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:          # the client has read the answer and closed
                    with self._lock:
                        self._drop(key.fileobj)
            now = time.monotonic()
            with self._lock:
                for sock, deadline in list(self._pending.items()):
                    if now >= deadline:
                        self._drop(sock)

    def stop(self):
        with self._lock:
            self._stopped = True
            if self._thread is None:
                return
        self._thread.join(timeout=2)

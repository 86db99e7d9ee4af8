"""The visualizer's local web server: the page's files and the JSON API, standard library only.

- ``GET /`` and ``GET /static/<name>``: files from ``viz/static`` only, by an exact list of
  the regular files found there (no subfolders, no symbolic links), so ``..``, encoded
  ``%2e%2e``, absolute paths and links out of the folder all answer 404.
- ``/api/...``: :class:`~scratchcnn.viz.api.Api`. POST bodies must be JSON
  (``Content-Type: application/json``, which a cross-site form cannot send) of at most
  :data:`MAX_BODY` bytes with a ``Content-Length``; errors are JSON ``{"error", "field"}``
  with 400 (bad input), 404, 405, 408, 411, 413, 415 or 503 (model not ready, or the
  server busy).
- A client has :data:`REQUEST_DEADLINE` seconds in all to send its request line, headers
  and body; at most :data:`MAX_HANDLERS` requests are served at once, more answer 503
  with ``Retry-After`` at once (one background thread delivers those answers, so a burst
  never stalls the accept loop); the listen backlog is :data:`LISTEN_BACKLOG`.
- A request with more than one ``Content-Length`` or ``Host`` header is refused (400);
  ``Host`` must be a plain host name or address with an optional port.
- Bound to a loopback address (the default), requests must name a loopback host in their
  ``Host`` header, which defeats DNS rebinding from web pages.
"""

import json
import signal
import socket
import socketserver
import threading
from contextlib import contextmanager
from http.server import ThreadingHTTPServer

from ..errors import ScratchCNNError
from .api import Api
from .handler import Handler
from .limits import (CONTENT_TYPES, DRAIN_SECONDS, LISTEN_BACKLOG, MAX_BODY, MAX_DEPTH,  # noqa: F401
                     MAX_HANDLERS, MAX_QUERY_FIELDS, REQUEST_DEADLINE, SECURITY_HEADERS,
                     STATIC_DIR, is_loopback, static_files)
from .network import NetworkService
from .refuser import Refuser

# Re-exported: the names this module has always offered (the limits live in viz.limits,
# the request handler in viz.handler).
__all__ = ["CONTENT_TYPES", "DRAIN_SECONDS", "Handler", "LISTEN_BACKLOG", "MAX_BODY",
           "MAX_DEPTH", "MAX_HANDLERS", "MAX_QUERY_FIELDS", "REQUEST_DEADLINE",
           "SECURITY_HEADERS", "STATIC_DIR", "VisualizerError", "VisualizerServer",
           "is_loopback", "make_server", "serve", "static_files"]


class VisualizerError(ScratchCNNError, OSError):
    """The server cannot start (port in use, address not available)."""


class VisualizerServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the API; ``url`` is where it listens. At most
    ``max_handlers`` requests are served at once (more answer 503 at once), each client
    has ``request_deadline`` seconds to send its request."""

    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, host, port, api, static_dir=STATIC_DIR, verbose=False,
                 max_handlers=MAX_HANDLERS, request_deadline=REQUEST_DEADLINE):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.api = api
        self.static_dir = static_dir
        self.verbose = verbose
        self.loopback_only = is_loopback(host)
        self.max_handlers = max_handlers
        self.request_deadline = request_deadline
        self._slots = threading.BoundedSemaphore(max_handlers)
        self._refuser = Refuser(self.shutdown_request)
        super().__init__((host.strip("[]"), port), Handler)

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            self._refuse(request)
            return
        slot = _Slot(self._slots)
        thread = threading.Thread(target=self._handle_in_thread,
                                  args=(request, client_address, slot), daemon=True)
        try:
            thread.start()
        except BaseException:
            # Ctrl+C can land inside start() after the thread began: the slot is given
            # back once, whichever side gets there first (a second release would raise
            # and hide the interrupt, and the server would not stop).
            slot.release()
            raise

    def _handle_in_thread(self, request, client_address, slot):
        try:
            self.process_request_thread(request, client_address)
        finally:
            slot.release()

    def _refuse(self, request):
        """503 with Retry-After, delivered by the refuser thread: the accept loop never
        waits for a refused client."""
        body = json.dumps({"error": f"the server is busy ({self.max_handlers} requests at "
                                    "once); try again"}).encode("utf-8")
        head = ("HTTP/1.0 503 Service Unavailable\r\n"
                "Content-Type: application/json; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nCache-Control: no-store\r\n"
                "Connection: close\r\n\r\n").encode("ascii")
        self._refuser.refuse(request, head + body)

    def server_close(self):
        super().server_close()
        self._refuser.stop()

    def server_bind(self):
        # HTTPServer.server_bind would look the host's name up (socket.getfqdn), which
        # can stall for seconds without a network; the name is not needed.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    @property
    def url(self):
        host = self.server_address[0]
        return f"http://[{host}]:{self.server_port}/" if ":" in host else \
            f"http://{host}:{self.server_port}/"


class _Slot:
    """One request's hold on the handler semaphore, released at most once."""

    def __init__(self, semaphore):
        self._semaphore = semaphore
        self._lock = threading.Lock()
        self._held = True

    def release(self):
        with self._lock:
            if self._held:
                self._held = False
                self._semaphore.release()


def make_server(host="127.0.0.1", port=8000, checkpoint=None, workdir=None, training=None,
                network=None, verbose=False):
    """A ready-to-serve :class:`VisualizerServer` (call ``serve_forever``); ``port=0``
    picks a free port. ``checkpoint`` is loaded now (a bad file raises here); without one
    the default model is trained in ``workdir`` on first use."""
    if network is None:
        network = NetworkService(checkpoint=checkpoint, workdir=workdir, training=training)
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise VisualizerError(f"port must be an integer in 0..65535, got {port!r}")
    try:
        return VisualizerServer(host, port, Api(network), verbose=verbose)
    except OSError as error:
        import errno
        if error.errno == errno.EADDRINUSE:
            raise VisualizerError(f"port {port} is already in use on {host}: stop the other "
                                  "server or choose another port (--port 0 picks a free "
                                  "one)") from None
        if error.errno == errno.EACCES:
            raise VisualizerError(f"no permission to listen on port {port} (ports below "
                                  "1024 need privileges): choose another --port") from None
        raise VisualizerError(f"cannot listen on {host}:{port}: "
                              f"{error.strerror or error}") from None


def serve(server):
    """Serve until Ctrl+C, SIGTERM (or ``server.shutdown()``), then release the port."""
    with _stop_on_signals():
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@contextmanager
def _stop_on_signals():
    """SIGINT and SIGTERM raise KeyboardInterrupt while serving (main thread only).

    Explicit handlers, not Python's defaults: a process started in the background by a
    script inherits SIGINT *ignored*, and Python then leaves it ignored, so ``kill -INT``
    would not stop the server; and SIGTERM's default would end it without closing the
    socket or printing "stopped"."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

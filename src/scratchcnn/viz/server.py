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

import io
import ipaddress
import json
import os
import re
import signal
import socket
import socketserver
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import ScratchCNNError
from .api import Api, MethodNotAllowed
from .refuser import Refuser
from .network import NetworkService
from .validation import ValidationError, nesting_depth

STATIC_DIR = Path(__file__).resolve().with_name("static")
MAX_BODY = 1_000_000
MAX_DEPTH = 32            # lists and objects in a JSON body (the API needs 4)
MAX_QUERY_FIELDS = 20
REQUEST_DEADLINE = 20     # seconds to send the request line, the headers and the body
MAX_HANDLERS = 64         # requests served at once (one thread each); more answer 503
LISTEN_BACKLOG = 512      # connections the system queues before the server accepts them
DRAIN_SECONDS = 2         # how long an unread body is read away after an error answer
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
                 ".png": "image/png", ".ico": "image/x-icon"}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'; connect-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}


class VisualizerError(ScratchCNNError, OSError):
    """The server cannot start (port in use, address not available)."""


def is_loopback(host):
    """True for localhost, 127.0.0.0/8 and ::1."""
    if host is None:
        return False
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def static_files(folder=STATIC_DIR):
    """{name: path} of the files the server may send: regular files (not links) directly
    inside ``folder`` with a known type."""
    files = {}
    root = Path(folder).resolve()
    for entry in os.scandir(root):
        path = Path(entry.path)
        if (entry.is_file(follow_symlinks=False) and path.suffix in CONTENT_TYPES
                and path.resolve().parent == root):
            files[entry.name] = path
    return files


class _DeadlineReader(io.RawIOBase):
    """A socket's input with one deadline for all reads (``None``: none): each read may
    wait only for the time that is left, so a client that sends a byte now and then
    cannot hold a request open for longer than the deadline."""

    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request did not arrive in time")
            self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


class Handler(BaseHTTPRequestHandler):
    """One request: the page's files or an API call. Every answer is complete in itself
    (HTTP/1.0: the connection closes after it)."""

    server_version = "scratchcnn-visualizer"
    sys_version = ""
    default_request_version = "HTTP/1.0"   # errors in a request line still get headers
    timeout = 30        # seconds one write may wait (reads: the server's request deadline)

    def setup(self):
        super().setup()
        self.rfile.close()                 # read through the deadline instead
        self._reader = _DeadlineReader(self.connection,
                                       time.monotonic() + self.server.request_deadline)
        self.rfile = io.BufferedReader(self._reader)
        self._body_left = 0                # announced body bytes not read yet

    def _done_reading(self):
        """The request is in: lift the deadline (answers may take their time)."""
        if self._reader.deadline is not None:
            self._reader.deadline = None
            self.connection.settimeout(self.timeout)

    def _drain(self):
        """Read away (up to :data:`MAX_BODY` bytes, for :data:`DRAIN_SECONDS`) a body that
        an error answer left unread, so that closing the connection does not reset it
        before the client has read the answer."""
        left, self._body_left = min(self._body_left, MAX_BODY), 0
        if left <= 0:
            return
        self.close_connection = True
        self._reader.deadline = time.monotonic() + DRAIN_SECONDS
        try:
            while left > 0:
                chunk = self.rfile.read1(min(left, 65536))
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:                    # timed out or reset: the connection closes
            pass
        finally:
            self._done_reading()

    # ------------------------------------------------------------------ dispatch
    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_PUT(self):
        self._route("PUT")

    def do_DELETE(self):
        self._route("DELETE")

    def do_PATCH(self):
        self._route("PATCH")

    def do_HEAD(self):
        self._route("HEAD")

    def do_OPTIONS(self):
        self._route("OPTIONS")

    def _route(self, method):
        self._body_left = _announced_length(self.headers.get("Content-Length"))
        try:
            for name in ("Content-Length", "Host"):
                if len(self.headers.get_all(name) or ()) > 1:
                    self._body_left, self.close_connection = 0, True
                    raise ValidationError(f"more than one {name} header", status=400)
            # Split by hand: urlsplit would read "//name/..." as a host name.
            path, _, query = self.path.partition("#")[0].partition("?")
            if not self._host_allowed():
                raise ValidationError("this server answers requests for localhost only "
                                      "(unexpected Host header)", status=403)
            if path.startswith("/api/"):
                self._api(method, path, query)
            elif method not in ("GET", "HEAD"):
                raise _method_not_allowed(path, method, ["GET", "HEAD"])
            else:
                self._static(path)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True          # the client went away: nothing to answer
            self._body_left = 0
        except ValidationError as error:
            headers = {"Allow": ", ".join(error.allowed)} if hasattr(error, "allowed") else {}
            self._send_json(error.status, error.to_dict(), headers)
        except ScratchCNNError as error:
            self._send_json(400, {"error": str(error)})
        except Exception as error:   # a bug: say so, keep serving
            traceback.print_exc(file=sys.stderr)
            self._send_json(500, {"error": f"internal error: {type(error).__name__}: {error}"})
        finally:
            self._drain()

    def _host_allowed(self):
        host = self.headers.get("Host")
        if not self.server.loopback_only or host is None:   # browsers always send one
            return True
        if not _HOST_PATTERN.fullmatch(host):   # no "evil.com@127.0.0.1", no paths
            return False
        try:
            return is_loopback(urlsplit("//" + host).hostname)
        except ValueError:
            return False

    # ------------------------------------------------------------------ the API
    def _api(self, method, path, query):
        handler = self.server.api.resolve(method, path)
        if method == "POST":
            if query:
                raise ValidationError("POST endpoints take no query parameters; send them in "
                                      "the JSON body")
            payload = self._read_json()
        else:
            payload = _query_params(query)
        self._done_reading()
        self._send_json(200, handler(payload))

    def _read_json(self):
        if "Transfer-Encoding" in self.headers:
            self.close_connection = True
            raise ValidationError("send the body with a Content-Length (no chunked "
                                  "transfer encoding)", status=411)
        length = self.headers.get("Content-Length")
        if length is None:
            raise ValidationError("a Content-Length header is required", status=411)
        if not (length.isascii() and length.isdigit()):
            raise ValidationError(f"invalid Content-Length {length[:20]!r}")
        digits = length.lstrip("0") or "0"
        if len(digits) > len(str(MAX_BODY)):     # checked before int(): it may be huge
            self.close_connection = True
            raise ValidationError(f"request body too large: a {len(digits)}-digit "
                                  f"Content-Length, at most {MAX_BODY} bytes", status=413)
        size = int(digits)
        if size > MAX_BODY:
            self.close_connection = True
            raise ValidationError(f"request body too large: {size} bytes, at most {MAX_BODY}",
                                  status=413)
        if self.headers.get_content_type() != "application/json":
            self.close_connection = True
            raise ValidationError("Content-Type must be application/json", status=415)
        try:
            raw = self.rfile.read(size)
        except TimeoutError:
            self.close_connection = True
            self._body_left = 0
            raise ValidationError(f"the request did not arrive within "
                                  f"{self.server.request_deadline} seconds", status=408) from None
        self._body_left = 0
        if len(raw) < size:
            raise ValidationError(f"the body ended after {len(raw)} of {size} bytes")
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except UnicodeDecodeError:
            raise ValidationError("the body is not UTF-8 text") from None
        except RecursionError:
            raise ValidationError("the JSON body is nested too deeply") from None
        except ValueError as error:
            raise ValidationError(f"the body is not valid JSON: {error}") from None
        if nesting_depth(body) > MAX_DEPTH:
            raise ValidationError(f"the JSON body is nested too deeply (at most {MAX_DEPTH} "
                                  "levels of lists and objects)")
        return body

    # ------------------------------------------------------------------ static files
    def _static(self, path):
        if path == "/":
            name = "index.html"
        elif path.startswith("/static/"):
            name = unquote(path[len("/static/"):])
        else:
            raise ValidationError(f"not found: {path[:100]}", status=404)
        files = static_files(self.server.static_dir)
        file = files.get(name)
        if file is None:
            raise ValidationError(f"not found: {path[:100]}", status=404)
        body = file.read_bytes()
        self._done_reading()
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPES[file.suffix])
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        for key, value in SECURITY_HEADERS.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    # ------------------------------------------------------------------ answers
    def _send_json(self, status, payload, headers=None):
        self._done_reading()
        body = json.dumps(payload, allow_nan=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in {**SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error(self, code, message=None, explain=None):
        """Errors found by http.server itself (malformed request line, headers too long,
        unknown method) as JSON too."""
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        self._send_json(code, {"error": message or phrase})

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)


def _method_not_allowed(path, method, allowed):
    return MethodNotAllowed(f"{path[:100]} accepts {' and '.join(allowed)}, not {method}",
                            allowed)


def _announced_length(value):
    """The body size a Content-Length header announces (0 if none or malformed; a huge
    one as more than :data:`MAX_BODY`)."""
    if value is None or not (value.isascii() and value.isdigit()):
        return 0
    digits = value.lstrip("0") or "0"
    return int(digits) if len(digits) <= len(str(MAX_BODY)) else MAX_BODY + 1


# A Host header: a name or IPv4 address, or an [IPv6] address, and an optional port.
_HOST_PATTERN = re.compile(r"(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _query_params(query):
    try:
        fields = parse_qs(query, keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS,
                          errors="strict")
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationError(f"invalid query string: {error}") from None
    repeated = [name for name, values in fields.items() if len(values) > 1]
    if repeated:
        raise ValidationError(f"query parameter {repeated[0]!r} given more than once",
                              repeated[0])
    return {name: values[0] for name, values in fields.items()}


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
        try:
            super().process_request(request, client_address)   # starts the thread
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

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

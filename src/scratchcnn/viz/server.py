"""The visualizer's local web server: the page's files and the JSON API, standard library only.

- ``GET /`` and ``GET /static/<name>``: files from ``viz/static`` only, by an exact list of
  the regular files found there (no subfolders, no symbolic links), so ``..``, encoded
  ``%2e%2e``, absolute paths and links out of the folder all answer 404.
- ``/api/...``: :class:`~scratchcnn.viz.api.Api`. POST bodies must be JSON
  (``Content-Type: application/json``, which a cross-site form cannot send) of at most
  :data:`MAX_BODY` bytes with a ``Content-Length``; errors are JSON ``{"error", "field"}``
  with 400 (bad input), 404, 405, 411, 413, 415 or 503 (model not ready).
- Bound to a loopback address (the default), requests must name a loopback host in their
  ``Host`` header, which defeats DNS rebinding from web pages.
"""

import ipaddress
import json
import os
import socket
import socketserver
import sys
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import ScratchCNNError
from .api import Api, MethodNotAllowed
from .network import NetworkService
from .validation import ValidationError

STATIC_DIR = Path(__file__).resolve().with_name("static")
MAX_BODY = 1_000_000
MAX_QUERY_FIELDS = 20
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


class Handler(BaseHTTPRequestHandler):
    """One request: the page's files or an API call. Every answer is complete in itself
    (HTTP/1.0: the connection closes after it)."""

    server_version = "scratchcnn-visualizer"
    sys_version = ""
    default_request_version = "HTTP/1.0"   # errors in a request line still get headers
    timeout = 30        # seconds a client may take to send its request

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
        try:
            # Split by hand: urlsplit would read "//name/..." as a host name.
            path, _, query = self.path.partition("#")[0].partition("?")
            if not self._host_allowed():
                raise ValidationError("this server answers requests for localhost only "
                                      "(unexpected Host header)", status=403)
            if path.startswith("/api/"):
                self._api(method, path, query)
            elif method != "GET":
                raise _method_not_allowed(path, method, ["GET"])
            else:
                self._static(path)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True          # the client went away: nothing to answer
        except ValidationError as error:
            headers = {"Allow": ", ".join(error.allowed)} if hasattr(error, "allowed") else {}
            self._send_json(error.status, error.to_dict(), headers)
        except ScratchCNNError as error:
            self._send_json(400, {"error": str(error)})
        except Exception as error:   # a bug: say so, keep serving
            traceback.print_exc(file=sys.stderr)
            self._send_json(500, {"error": f"internal error: {type(error).__name__}: {error}"})

    def _host_allowed(self):
        host = self.headers.get("Host")
        if not self.server.loopback_only or host is None:   # browsers always send one
            return True
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
        size = int(length)
        if size > MAX_BODY:
            self.close_connection = True      # the body is left unread
            raise ValidationError(f"request body too large: {size} bytes, at most {MAX_BODY}",
                                  status=413)
        if self.headers.get_content_type() != "application/json":
            self.close_connection = True
            raise ValidationError("Content-Type must be application/json", status=415)
        try:
            raw = self.rfile.read(size)
        except TimeoutError:
            self.close_connection = True
            raise ValidationError(f"the body did not arrive within {self.timeout} seconds",
                                  status=408) from None
        if len(raw) < size:
            raise ValidationError(f"the body ended after {len(raw)} of {size} bytes")
        if not raw.strip():
            return {}
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except UnicodeDecodeError:
            raise ValidationError("the body is not UTF-8 text") from None
        except RecursionError:
            raise ValidationError("the JSON body is nested too deeply") from None
        except ValueError as error:
            raise ValidationError(f"the body is not valid JSON: {error}") from None

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
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPES[file.suffix])
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        for key, value in SECURITY_HEADERS.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    # ------------------------------------------------------------------ answers
    def _send_json(self, status, payload, headers=None):
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
    """A threading HTTP server that carries the API; ``url`` is where it listens."""

    daemon_threads = True

    def __init__(self, host, port, api, static_dir=STATIC_DIR, verbose=False):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.api = api
        self.static_dir = static_dir
        self.verbose = verbose
        self.loopback_only = is_loopback(host)
        super().__init__((host.strip("[]"), port), Handler)

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
    """Serve until Ctrl+C (or ``server.shutdown()``), then release the port."""
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()

"""One request to the visualizer's server: the page's files or an API call, every answer
JSON or a file with the security headers; the limits it enforces are in
:mod:`scratchcnn.viz.limits`."""

import io
import json
import sys
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote, urlsplit

from ..errors import ScratchCNNError
from .api import MethodNotAllowed
from .limits import (CONTENT_TYPES, DRAIN_SECONDS, HOST_PATTERN, MAX_BODY, MAX_DEPTH,
                     SECURITY_HEADERS, DeadlineReader, announced_length, is_loopback,
                     query_params, reject_constant, static_files)
from .validation import ValidationError, nesting_depth


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
        self._reader = DeadlineReader(self.connection,
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
        self._body_left = announced_length(self.headers.get("Content-Length"))
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
        if not HOST_PATTERN.fullmatch(host):   # no "evil.com@127.0.0.1", no paths
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
            payload = query_params(query)
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
            body = json.loads(raw.decode("utf-8"), parse_constant=reject_constant)
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

"""What the visualizer's server accepts: its limits (body size, nesting, deadlines,
concurrency), the files it may send and their headers, which hosts it answers, and the
parsing of query strings and Content-Length headers. No sockets are served here (see
:mod:`scratchcnn.viz.handler` and :mod:`scratchcnn.viz.server`)."""

import io
import ipaddress
import os
import re
import time
from pathlib import Path
from urllib.parse import parse_qs

from .validation import ValidationError

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


class DeadlineReader(io.RawIOBase):
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


def announced_length(value):
    """The body size a Content-Length header announces (0 if none or malformed; a huge
    one as more than :data:`MAX_BODY`)."""
    if value is None or not (value.isascii() and value.isdigit()):
        return 0
    digits = value.lstrip("0") or "0"
    return int(digits) if len(digits) <= len(str(MAX_BODY)) else MAX_BODY + 1


# A Host header: a name or IPv4 address, or an [IPv6] address, and an optional port.
HOST_PATTERN = re.compile(r"(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")


def reject_constant(name):
    """``json.loads``' ``parse_constant``: NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not a number JSON allows")


def query_params(query):
    """A GET query string as ``{name: value}``: at most :data:`MAX_QUERY_FIELDS` fields,
    each given once; else a 400 :class:`ValidationError`."""
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

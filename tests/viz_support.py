"""Shared by the visualizer tests: a small trained checkpoint and a server in a thread."""

import contextlib
import json
import os
import threading
import urllib.error
import urllib.request

from scratchcnn import workflow
from scratchcnn.viz.server import make_server


def train_tiny_checkpoint(folder):
    """digits_cnn after 2 quick epochs on 400 digits (a second or two): a real checkpoint
    of `scratchcnn train`, small enough for every test run."""
    workflow.train(data="digits", epochs=2, limit=400, out_dir=os.fspath(folder),
                   progress=False, plots=False, log=None)
    return os.path.join(os.fspath(folder), "best.npz")


_SHARED = {}


def shared_checkpoint(tmp_path_factory):
    """One tiny checkpoint for the whole session, trained on first use: the visualizer's
    test files all read it (none writes to it). Kept here, not in a fixture of each file,
    because a fixture imported into several files runs once per file."""
    path = _SHARED.get("checkpoint")
    if path is None or not os.path.exists(path):
        path = _SHARED["checkpoint"] = train_tiny_checkpoint(
            tmp_path_factory.mktemp("tiny-digits"))
    return path


@contextlib.contextmanager
def running_server(**options):
    """A visualizer server on a free loopback port, serving from a thread."""
    server = make_server("127.0.0.1", 0, **options)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def call(url, method="GET", body=None, headers=None, raw=None):
    """(status, headers, parsed JSON or text) of one request; ``raw`` bytes are sent as
    they are, ``body`` as JSON."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, answer_headers, payload = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, payload = error.code, error.headers, error.read()
    if answer_headers.get_content_type() == "application/json":
        return status, answer_headers, json.loads(payload)
    return status, answer_headers, payload.decode("utf-8", "replace")

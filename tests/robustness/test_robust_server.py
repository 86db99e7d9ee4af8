"""`scratchcnn visualize` under load: bursts, stalled and idle clients, forged headers."""

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from .support import REPO


def _rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "src"))
    process = subprocess.Popen([sys.executable, "-m", "scratchcnn", "visualize", "--port", "0",
                                "--workdir", str(tmp_path_factory.mktemp("viz"))],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)
    line = process.stdout.readline()
    assert "http://" in line, process.stderr.read()
    port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
    yield process, port
    process.terminate()
    process.communicate(timeout=10)


def _request(port, raw, timeout=10):
    """The status line and headers (bytes) of one raw request, or None without answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            return None
    return data or None


GET = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def test_a_burst_of_200_requests_is_answered_within_10_seconds(server):
    process, port = server
    before = _rss_kib(process.pid)
    answers = [None] * 200
    barrier = threading.Barrier(200)

    def one(i):
        barrier.wait()
        try:
            answers[i] = _request(port, GET, timeout=10)
        except OSError:
            answers[i] = None

    started = time.monotonic()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert time.monotonic() - started < 20
    statuses = [a.split(b"\r\n")[0] if a else None for a in answers]
    assert all(s is not None for s in statuses), statuses.count(None)
    for answer, status in zip(answers, statuses):
        assert b" 200 " in status or (b" 503 " in status and b"Retry-After" in answer)
    assert b" 200 " in _request(port, GET)            # and normally right after
    assert _rss_kib(process.pid) - before < 150 * 1024


def test_idle_and_stalled_clients_do_not_block_others(server):
    process, port = server
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
    stalled = socket.create_connection(("127.0.0.1", port))
    stalled.sendall(b"GET / HTTP/1.1\r\nHost: 127.0")      # and nothing more
    try:
        started = time.monotonic()
        answer = _request(port, GET, timeout=5)
        assert answer and b" 200 " in answer.split(b"\r\n")[0]
        assert time.monotonic() - started < 5
        stalled.settimeout(35)
        while stalled.recv(65536):                          # a 408, then the close
            pass
        assert time.monotonic() - started < 31
    finally:
        for sock in idle + [stalled]:
            sock.close()


@pytest.mark.parametrize("raw,status", [
    (b"POST /api/network/status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n"
     b"Content-Length: 50\r\nContent-Type: application/json\r\n\r\n{}", b" 400 "),
    (b"GET / HTTP/1.1\r\nHost: evil.com@127.0.0.1\r\n\r\n", b" 403 "),
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1/evil\r\n\r\n", b" 403 "),
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.com\r\n\r\n", b" 400 "),
])
def test_forged_headers_are_refused(server, raw, status):
    _, port = server
    answer = _request(port, raw)
    assert status in answer.split(b"\r\n")[0], answer

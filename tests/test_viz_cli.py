"""``scratchcnn visualize`` as users run it: a subprocess on a free port, its printed URL,
the page and the API behind it, Ctrl+C, and the errors for bad options."""

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

from viz_support import shared_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return shared_checkpoint(tmp_path_factory)


def start(*argv, ignore_sigint=False):
    """The server as a subprocess. ``ignore_sigint``: started with SIGINT ignored, as a
    background job of a shell script is (and as this test run itself may be)."""
    env = dict(os.environ, PYTHONUTF8="1", PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None
    # -X faulthandler: a server that does not stop is sent SIGABRT below, and prints where
    # each of its threads was.
    return subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "scratchcnn",
                             "visualize", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8", env=env, preexec_fn=ignore)


def first_line(process):
    """The first line the server prints (it announces the URL)."""
    line = process.stdout.readline()
    assert line, process.stderr.read()     # the server exited instead
    return line


def stop(process, sig=signal.SIGINT):
    process.send_signal(sig)
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        err = f"did not stop within 30 s of {sig!r}; its threads:\n{err}"
    return process.returncode, out, err


def test_help_lists_the_options():
    result = subprocess.run([sys.executable, "-m", "scratchcnn", "visualize", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    for option in ("--host", "--port", "--checkpoint", "--workdir", "--open"):
        assert option in result.stdout
    assert "127.0.0.1" in result.stdout


def test_serves_the_page_and_stops_cleanly_on_ctrl_c(checkpoint, tmp_path):
    process = start("--port", "0", "--checkpoint", checkpoint, "--workdir", str(tmp_path))
    try:
        line = first_line(process)
        assert line.startswith("Serving the scratchcnn visualizer at http://127.0.0.1:")
        assert line.rstrip().endswith("/ (Ctrl+C to stop)")
        url = line.split(" at ")[1].split(" ")[0]
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200 and b"scratchcnn visualizer" in response.read()
        with urllib.request.urlopen(url + "api/network/status", timeout=30) as response:
            status = json.loads(response.read())
        assert status["state"] == "ready" and status["checkpoint"] == checkpoint
    finally:
        code, out, err = stop(process)
    assert code == 0, err
    assert out.strip().endswith("stopped") and "Traceback" not in err


@pytest.mark.parametrize("sig, ignore_sigint", [(signal.SIGTERM, False),
                                                 (signal.SIGINT, True)])
def test_stops_cleanly_on_sigterm_and_on_sigint_inherited_ignored(checkpoint, sig,
                                                                   ignore_sigint):
    process = start("--port", "0", "--checkpoint", checkpoint, ignore_sigint=ignore_sigint)
    try:
        url = first_line(process).split(" at ")[1].split(" ")[0]
        with urllib.request.urlopen(url + "api/info", timeout=30) as response:
            assert response.status == 200
    finally:
        code, out, err = stop(process, sig)
    assert code == 0, err
    assert out.strip().endswith("stopped") and "Traceback" not in err
    with pytest.raises(OSError):              # the port was released
        urllib.request.urlopen(url + "api/info", timeout=5)


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp / "missing.npz", "No such file or directory"),
    (lambda tmp: (tmp / "notes.txt").write_text("hello") and tmp / "notes.txt",
     "is not a scratchcnn file"),
    (lambda tmp: tmp, "Is a directory"),
])
def test_bad_checkpoints_are_reported(tmp_path, make, message):
    path = make(tmp_path)
    result = subprocess.run([sys.executable, "-m", "scratchcnn", "visualize", "--port", "0",
                             "--checkpoint", str(path)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("scratchcnn visualize: error:")
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_port_in_use_is_a_clear_error(checkpoint):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "scratchcnn", "visualize", "--port",
                                 str(port), "--checkpoint", checkpoint], capture_output=True,
                                text=True, timeout=120)
    assert result.returncode == 2
    assert f"port {port} is already in use" in result.stderr
    assert "--port 0 picks a free one" in result.stderr


def test_a_non_loopback_host_is_warned_about(checkpoint):
    process = start("--host", "0.0.0.0", "--port", "0", "--checkpoint", checkpoint)
    try:
        line = first_line(process)
        assert line.startswith("Serving the scratchcnn visualizer at http://0.0.0.0:")
    finally:
        code, _, err = stop(process)
    assert "warning: 0.0.0.0 is not a loopback address" in err
    assert code == 0

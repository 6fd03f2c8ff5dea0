"""Shared by the binding's tests: the Segment mock as a process
(`segbridge mock --port 0`, the program $SEGBRIDGE_CLI names; ctest sets it)
and a hang guard.

The library is whatever `import segbridge` loads: ctest points
$SEGBRIDGE_LIBRARY at the build's libsegbridge.so.0.
"""

import json
import os
import re
import subprocess
import threading

import pytest

STARTUP_S = 60  # the mock prints its URL once it listens; a loaded machine is slow
HANG_GUARD_S = 120


def within(seconds, fn, *args):
    """fn(*args) on a thread of its own; fails the test when it has not
    returned after @seconds (a hang), re-raises what it raised."""
    outcome = {}

    def run():
        try:
            outcome["value"] = fn(*args)
        except BaseException as exc:  # handed back to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="hang-guarded", daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{fn.__name__} still running after {seconds} s: a hang"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


class Mock:
    """One `segbridge mock` process; .url once it listens."""

    def __init__(self, *args, record=None):
        cli = os.environ.get("SEGBRIDGE_CLI")
        if not cli:
            pytest.fail("SEGBRIDGE_CLI must name the segbridge program (ctest sets it)")
        command = [cli, "mock", "--port", "0", *args]
        self.record = record
        if record is not None:
            command += ["--record", str(record)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        line = within(STARTUP_S, self.process.stdout.readline)
        found = re.search(r"http://127\.0\.0\.1:[0-9]+", line)
        if not found:
            self.stop()
            pytest.fail(f"the mock printed no URL: {line!r}")
        self.url = found.group(0)

    def recorded(self):
        """The messages the mock accepted, parsed (needs record=PATH)."""
        with open(self.record, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def stop(self):
        self.process.terminate()
        within(STARTUP_S, self.process.wait)
        self.process.stdout.close()


@pytest.fixture(scope="session")
def mock():
    """A mock shared by the tests that need a plain one."""
    m = Mock()
    yield m
    m.stop()


@pytest.fixture
def start_mock():
    """Start mocks of the test's own, with options; stopped after it."""
    started = []

    def start(*args, record=None):
        m = Mock(*args, record=record)
        started.append(m)
        return m

    yield start
    for m in started:
        m.stop()

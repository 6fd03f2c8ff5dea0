"""close(): every report reaches on_delivery, pending or not; no hang in a
loop of clients, from on_delivery, or against threads still sending; a
closed client raises ClosedError and leaves no thread or descriptor."""

import os
import subprocess
import sys
import threading

import pytest

import segbridge

from conftest import HANG_GUARD_S, within


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def test_use_after_close_raises(mock):
    c = segbridge.Client(write_key="wk", endpoint=mock.url)
    assert c.close() is True
    assert c.closed
    for call in (
        lambda: c.track("u-1", "E"),
        lambda: c.identify("u-1"),
        lambda: c.alias("u-1", "a-1"),
        lambda: c.flush(),
        lambda: c.stats(),
    ):
        with pytest.raises(segbridge.ClosedError) as info:
            call()
        assert info.value.code == "SEGB_ERR_CLOSED"
    assert c.close() is True  # again: the first answer


def test_with_block_closes_on_an_exception(mock):
    got = []
    with pytest.raises(KeyError):
        with segbridge.Client(write_key="wk", endpoint=mock.url, on_delivery=got.append) as c:
            sent = c.track("u-1", "E")
            raise KeyError("inside the block")
    assert c.closed
    assert [r.message_id for r in got] == [sent]


def test_reports_pending_at_close_are_delivered(start_mock):
    mock = start_mock("--latency-ms", "300")
    got = []
    c = segbridge.Client(write_key="wk", endpoint=mock.url, on_delivery=got.append)
    sent = [c.track(f"u-{i % 4}", "Pending") for i in range(40)]
    assert within(HANG_GUARD_S, c.close, 60) is True
    assert sorted(r.message_id for r in got) == sorted(sent)
    assert all(r.error is None for r in got)


def test_close_with_no_time_reports_the_rest_as_closed(start_mock):
    mock = start_mock("--latency-ms", "5000")
    got = []
    c = segbridge.Client(
        write_key="wk", endpoint=mock.url, on_delivery=got.append, settings={"batch.linger_ms": 0}
    )
    sent = [c.track("u-1", "Pending") for _ in range(10)]
    within(HANG_GUARD_S, c.close, 0)
    assert sorted(r.message_id for r in got) == sorted(sent)
    assert {r.error for r in got} <= {None, "SEGB_ERR_CLOSED"}
    assert "SEGB_ERR_CLOSED" in {r.error for r in got}


def test_fifty_clients_closed_with_reports_pending(start_mock):
    mock = start_mock("--latency-ms", "200")
    threads, fds = threading.active_count(), open_fds()
    delivered = []

    def cycle():
        for n in range(50):
            got = []
            c = segbridge.Client(
                write_key="wk",
                endpoint=mock.url,
                on_delivery=got.append,
                settings={"batch.linger_ms": 0},
            )
            sent = [c.track(f"u-{n}", "Loop"), c.page(f"u-{n}", "Loop")]
            c.close(0.05 if n % 2 else 0)  # some delivered, some dropped
            assert sorted(r.message_id for r in got) == sorted(sent)
            delivered.append(len(got))

    within(HANG_GUARD_S * 3, cycle)
    assert delivered == [2] * 50
    assert threading.active_count() == threads
    assert open_fds() == fds


def test_close_from_on_delivery(mock):
    got = []

    def closes(report):
        got.append(report)
        c.close(30)  # on the report thread: must not join itself

    c = segbridge.Client(write_key="wk", endpoint=mock.url, on_delivery=closes)
    sent = [c.track("u-1", "E") for _ in range(5)]
    within(HANG_GUARD_S, c.flush, 60)
    assert within(HANG_GUARD_S, c.close, 60) is True
    assert sorted(r.message_id for r in got) == sorted(sent)
    assert c.closed


def test_close_while_threads_send(mock):
    got = []
    c = segbridge.Client(write_key="wk", endpoint=mock.url, on_delivery=got.append)
    sent, refused = [], []
    busy = [threading.Event() for _ in range(4)]

    def producer(busy):
        while True:
            try:
                sent.append(c.track("u-p", "Busy"))
            except segbridge.QueueFullError:
                continue  # a slow machine's mock can fall behind: still sending
            except segbridge.ClosedError:
                refused.append(1)
                return
            if len(sent) >= 20:
                busy.set()

    producers = [threading.Thread(target=producer, args=(b,)) for b in busy]
    for p in producers:
        p.start()
    for b in busy:
        assert b.wait(HANG_GUARD_S)  # every producer is sending when close begins
    within(HANG_GUARD_S, c.close, 30)
    for p in producers:
        p.join(HANG_GUARD_S)
        assert not p.is_alive()
    assert len(refused) == 4
    assert sorted(r.message_id for r in got) == sorted(sent)


def test_close_twice_from_two_threads(start_mock):
    mock = start_mock("--latency-ms", "300")
    got = []
    c = segbridge.Client(write_key="wk", endpoint=mock.url, on_delivery=got.append)
    sent = [c.track("u-1", "E") for _ in range(5)]
    answers = []
    closers = [threading.Thread(target=lambda: answers.append(c.close(30))) for _ in range(2)]
    for t in closers:
        t.start()
    for t in closers:
        t.join(HANG_GUARD_S)
        assert not t.is_alive()
    assert answers == [True, True]
    assert sorted(r.message_id for r in got) == sorted(sent)


def test_a_client_left_open_is_closed_at_exit(start_mock, tmp_path):
    mock = start_mock(record=tmp_path / "record.ndjson")
    script = (
        "import segbridge\n"
        f"c = segbridge.Client(write_key='wk', endpoint={mock.url!r},\n"
        "                     settings={'batch.linger_ms': 600000})\n"
        "print(c.track('u-1', 'At Exit'))\n"
    )
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(segbridge.__file__)))
    run = within(
        HANG_GUARD_S,
        lambda: subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True
        ),
    )
    assert run.returncode == 0, run.stderr
    sent = run.stdout.strip()
    assert [m["messageId"] for m in mock.recorded()] == [sent]

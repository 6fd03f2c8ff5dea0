"""Client: every event type sent to the mock and reported, the report
thread, on_delivery's errors, the counters."""

import datetime
import logging
import threading

import segbridge

from conftest import HANG_GUARD_S, within


class Reports:
    """on_delivery collecting the reports, and the thread each came on."""

    def __init__(self):
        self.reports = []
        self.threads = set()

    def __call__(self, report):
        self.reports.append(report)
        self.threads.add(threading.current_thread().name)

    def ids(self):
        return [r.message_id for r in self.reports]


def test_every_event_type_is_sent_and_reported(start_mock, tmp_path):
    mock = start_mock(record=tmp_path / "record.ndjson")
    got = Reports()
    when = datetime.datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=datetime.timezone.utc)
    with segbridge.Client(
        write_key="wk-test", endpoint=mock.url, on_delivery=got, settings={"batch.max_events": 50}
    ) as c:
        sent = [
            c.track(
                "u-1",
                "Order Completed",
                {"revenue": 19.99, "items": [{"sku": "ä-1"}], "gift": False},
                context={"ip": "203.0.113.9"},
                timestamp=when,
                integrations={"All": True},
            ),
            c.identify("u-1", {"plan": "pro", "name": "Zoë 🚀"}, anonymous_id="a-1"),
            c.page("u-1", "Home", {"path": "/"}, category="Docs"),
            c.screen(None, "Settings", anonymous_id="a-2", timestamp="2026-01-02T03:04:05Z"),
            c.group("u-1", "g-1", {"employees": 12}),
            c.alias("u-1", "a-1", message_id="alias-u-1-a-1"),
        ]
        assert within(HANG_GUARD_S, c.flush, 60) is True

    assert sorted(got.ids()) == sorted(sent)
    assert sent[-1] == "alias-u-1-a-1"
    for report in got.reports:
        assert report.error is None and report.error_message == ""
        assert report.status == 200 and report.attempts >= 1

    by_id = {m["messageId"]: m for m in mock.recorded()}
    assert sorted(by_id) == sorted(sent)
    types = [by_id[i]["type"] for i in sent]
    assert types == ["track", "identify", "page", "screen", "group", "alias"]
    track, identify, page, screen, group, alias = (by_id[i] for i in sent)
    assert track["event"] == "Order Completed"
    assert track["properties"] == {"revenue": 19.99, "items": [{"sku": "ä-1"}], "gift": False}
    assert track["context"]["ip"] == "203.0.113.9"
    assert track["timestamp"] == "2026-03-04T05:06:07.890Z"
    assert track["integrations"] == {"All": True}
    assert identify["traits"]["name"] == "Zoë 🚀" and identify["anonymousId"] == "a-1"
    assert page["name"] == "Home" and page["category"] == "Docs"
    assert screen["anonymousId"] == "a-2" and "userId" not in screen
    assert screen["timestamp"] == "2026-01-02T03:04:05Z"
    assert group["groupId"] == "g-1" and group["traits"] == {"employees": 12}
    assert alias["previousId"] == "a-1" and alias["userId"] == "u-1"


def test_reports_run_on_the_binding_thread(mock):
    got = Reports()
    with segbridge.Client(write_key="wk", endpoint=mock.url, on_delivery=got) as c:
        for i in range(20):
            c.track(f"u-{i}", "Tick")
        assert within(HANG_GUARD_S, c.flush, 60) is True
    assert len(got.reports) == 20
    assert got.threads == {"segbridge-reports"}


def test_a_refused_batch_reports_its_code(start_mock):
    mock = start_mock("--write-key", "the-right-key")
    got = Reports()
    with segbridge.Client(write_key="a-wrong-key", endpoint=mock.url, on_delivery=got) as c:
        sent = c.track("u-1", "Signed Up")
        assert within(HANG_GUARD_S, c.flush, 60) is True
        assert c.stats()["dropped"] == 1
    (report,) = got.reports
    assert report.message_id == sent
    assert report.error == "SEGB_ERR_AUTH"
    assert report.status == 401 and report.error_message


def test_on_delivery_exceptions_are_logged_not_raised(mock, caplog):
    seen = []

    def fails(report):
        seen.append(report.message_id)
        raise RuntimeError("on_delivery broke")

    with caplog.at_level(logging.ERROR, logger="segbridge"):
        with segbridge.Client(write_key="wk", endpoint=mock.url, on_delivery=fails) as c:
            sent = [c.track("u-1", "One"), c.track("u-1", "Two")]
            assert within(HANG_GUARD_S, c.flush, 60) is True
            sent.append(c.track("u-1", "Three"))  # the client goes on working
    assert sorted(seen) == sorted(sent)
    failures = [r for r in caplog.records if "on_delivery raised" in r.getMessage()]
    assert len(failures) == 3
    assert all(r.exc_info and r.exc_info[0] is RuntimeError for r in failures)


def test_on_delivery_may_call_the_client(mock):
    got = Reports()
    follow_ups = []
    done = threading.Event()

    def chain(report):
        got(report)
        if len(follow_ups) < 3:
            follow_ups.append(c.track("u-1", "Follow-up"))
            c.stats()
            assert c.flush(0) in (True, False)  # from the report thread: no wait on itself
        elif len(got.reports) == 4:
            done.set()

    c = segbridge.Client(write_key="wk", endpoint=mock.url, on_delivery=chain)
    first = c.track("u-1", "First")
    assert done.wait(HANG_GUARD_S), "the chain of follow-ups did not end"
    assert within(HANG_GUARD_S, c.close, 60) is True
    assert sorted(got.ids()) == sorted([first] + follow_ups)
    assert len(follow_ups) == 3


def test_stats_keys_and_counts(mock):
    with segbridge.Client(write_key="wk", endpoint=mock.url) as c:
        empty = c.stats()
        assert list(empty) == list(segbridge.STAT_NAMES)
        for name in ("enqueued", "delivered", "dropped", "queued", "in_flight", "refused"):
            assert empty[name] == 0
        for i in range(7):
            c.identify(f"u-{i}", {"n": i})
        assert within(HANG_GUARD_S, c.flush, 60) is True
        stats = c.stats()
    assert stats["enqueued"] == 7 and stats["delivered"] == 7
    assert stats["dropped"] == 0 and stats["queued"] == 0 and stats["in_flight"] == 0
    assert stats["queued_bytes"] == 0
    assert stats["requests"] >= 1 and stats["last_status"] == 200


def test_flush_waits_for_on_delivery(start_mock):
    mock = start_mock("--latency-ms", "100")
    got = Reports()
    with segbridge.Client(write_key="wk", endpoint=mock.url, on_delivery=got) as c:
        for i in range(30):
            c.track(f"u-{i % 3}", "Tick")
        assert within(HANG_GUARD_S, c.flush, 60) is True
        # flush returns once each report has been handed to on_delivery
        assert len(got.reports) == 30


def test_an_inline_client_reports_on_the_binding_thread(mock):
    got = Reports()
    with segbridge.Client(
        write_key="wk", endpoint=mock.url, on_delivery=got, settings={"dispatch.mode": "inline"}
    ) as c:
        sent = [c.track("u-1", "Inline"), c.screen("u-1", "Inline")]
        assert within(HANG_GUARD_S, c.flush, 60) is True  # sends on this thread
        assert sorted(got.ids()) == sorted(sent)
    assert got.threads == {"segbridge-reports"}

"""Errors: each refusal raises its family with the library's code; bad
input (wrong types, None where required, lone surrogates, NaN, deep
nesting) raises and never reaches C in a shape that could crash it."""

import math

import pytest

import segbridge

# Nothing listens on port 1: these clients never deliver, and close(0)
# drops what they hold.
NOWHERE = "http://127.0.0.1:1"


@pytest.fixture
def client():
    c = segbridge.Client(
        write_key="wk",
        endpoint=NOWHERE,
        settings={"batch.linger_ms": 600000, "retry.max_attempts": 0},
    )
    yield c
    c.close(0)


def raises(cls, code, fn, *args, **kwargs):
    with pytest.raises(cls) as info:
        fn(*args, **kwargs)
    error = info.value
    assert isinstance(error, segbridge.Error)
    assert error.code == code
    assert error.value < 0 and error.message
    return error


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"settings": {"no.such.key": "1"}}, "SEGB_ERR_UNKNOWN_OPTION"),
        ({"settings": {"batch.max_events": "0"}}, "SEGB_ERR_INVALID_VALUE"),
        ({"settings": {"batch.max_events": 2501}}, "SEGB_ERR_INVALID_VALUE"),
        ({"settings": {"write_key.in_body": "maybe"}}, "SEGB_ERR_INVALID_VALUE"),
        ({"region": "mars"}, "SEGB_ERR_INVALID_VALUE"),
        ({"endpoint": "http://user:pw@127.0.0.1:1"}, "SEGB_ERR_INVALID_VALUE"),
        ({"settings": {"report.mode": "callback"}}, "SEGB_ERR_INVALID_VALUE"),
        ({"settings": {"event_types": "track\0,page"}}, "SEGB_ERR_INVALID_VALUE"),
        ({"settings": {"\udc80": "1"}}, "SEGB_ERR_INVALID_UTF8"),
    ],
)
def test_invalid_settings_raise_config_error(kwargs, code):
    kwargs.setdefault("write_key", "wk")
    error = raises(segbridge.ConfigError, code, segbridge.Client, **kwargs)
    assert isinstance(error, ValueError)


def test_no_credentials():
    raises(segbridge.ConfigError, "SEGB_ERR_NO_CREDENTIALS", segbridge.Client, endpoint=NOWHERE)


def test_secrets_are_not_echoed():
    with pytest.raises(segbridge.ConfigError) as info:
        segbridge.Client(write_key="s3cr3t-key-value", settings={"bogus": "1"})
    assert "s3cr3t" not in str(info.value)


def test_settings_of_the_wrong_type():
    with pytest.raises(TypeError):
        segbridge.Client(write_key="wk", settings={"batch.max_events": 1.5})
    with pytest.raises(TypeError):
        segbridge.Client(write_key="wk", settings=["batch.max_events"])
    with pytest.raises(TypeError):
        segbridge.Client(write_key=b"wk")
    with pytest.raises(TypeError):
        segbridge.Client(write_key="wk", on_delivery="not callable")


def test_a_message_too_large_is_refused():
    with segbridge.Client(
        write_key="wk", endpoint=NOWHERE, settings={"message.max_bytes": 1024}
    ) as c:
        big = {"blob": "x" * 2000}
        raises(segbridge.MessageError, "SEGB_ERR_TOO_LARGE", c.track, "u-1", "Big", big)
        stats = c.stats()
        assert stats["refused"] == 1 and stats["enqueued"] == 0
        c.close(0)


def test_a_full_queue_is_refused():
    with segbridge.Client(
        write_key="wk",
        endpoint=NOWHERE,
        settings={"queue.max_events": 1, "batch.linger_ms": 600000},
    ) as c:
        c.track("u-1", "Fits")
        raises(segbridge.QueueFullError, "SEGB_ERR_QUEUE_FULL", c.track, "u-1", "Overflows")
        c.close(0)


def test_an_excluded_type_is_refused():
    with segbridge.Client(write_key="wk", endpoint=NOWHERE, settings={"event_types": "track"}) as c:
        raises(segbridge.ExcludedError, "SEGB_ERR_FILTERED", c.page, "u-1", "Home")
        assert c.stats()["filtered"] == 1
        c.close(0)


def deep(levels):
    value = {}
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    "call, code",
    [
        (lambda c: c.track("u-1", "E", {"x": math.nan}), "SEGB_ERR_INVALID_NUMBER"),
        (lambda c: c.track("u-1", "E", {"x": math.inf}), "SEGB_ERR_INVALID_NUMBER"),
        (lambda c: c.track("u\udc80", "E"), "SEGB_ERR_INVALID_UTF8"),
        (lambda c: c.identify("u-1", {"name": "\ud800"}), "SEGB_ERR_INVALID_UTF8"),
        (lambda c: c.track("u-1", "E", {"\udfff": 1}), "SEGB_ERR_INVALID_UTF8"),
        (lambda c: c.track("u-1", None), "SEGB_ERR_MISSING_FIELD"),
        (lambda c: c.track(None, "E"), "SEGB_ERR_MISSING_FIELD"),
        (lambda c: c.group("u-1", None), "SEGB_ERR_MISSING_FIELD"),
        (lambda c: c.alias("u-1", None), "SEGB_ERR_MISSING_FIELD"),
        (lambda c: c.track("u-1", ""), "SEGB_ERR_EMPTY_FIELD"),
        (lambda c: c.track("u-1", "E", [1, 2]), "SEGB_ERR_JSON_TYPE"),
        (lambda c: c.track("u-1", "E", timestamp="yesterday"), "SEGB_ERR_INVALID_TIMESTAMP"),
        (lambda c: c.track("u-1", "E", message_id="m" * 101), "SEGB_ERR_MESSAGE_ID_TOO_LONG"),
        (lambda c: c.track("u-1", "E", context={"library": {}}), "SEGB_ERR_INVALID_FIELD"),
        (lambda c: c.track("u-1", "E", deep(100)), "SEGB_ERR_TOO_DEEP"),
        (lambda c: c.track("u-1", "E", deep(100000)), "SEGB_ERR_TOO_DEEP"),
    ],
)
def test_invalid_events_raise_message_error(client, call, code):
    error = raises(segbridge.MessageError, code, call, client)
    assert isinstance(error, ValueError)
    assert client.stats()["enqueued"] == 0


def test_circular_properties():
    loop = {}
    loop["self"] = loop
    with segbridge.Client(write_key="wk", endpoint=NOWHERE) as c:
        raises(segbridge.MessageError, "SEGB_ERR_INVALID_JSON", c.track, "u-1", "E", loop)
        c.close(0)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.track(42, "E"),
        lambda c: c.track("u-1", b"E"),
        lambda c: c.track("u-1", "E", {"x": object()}),
        lambda c: c.track("u-1", "E", timestamp=1700000000),
        lambda c: c.identify("u-1", anonymous_id=["a"]),
        lambda c: c.flush("soon"),
        lambda c: c.close(timeout=[]),
    ],
)
def test_wrong_types_raise_type_error(client, call):
    with pytest.raises(TypeError):
        call(client)


def test_negative_timeouts(client):
    with pytest.raises(ValueError):
        client.flush(-1)
    with pytest.raises(ValueError):
        client.close(math.nan)


def test_strings_may_hold_nul(client):
    # set_string_len takes the length: nothing is cut at the NUL
    assert client.track("u-1\0x", "E\0vent", {"k\0": "v\0"})


def test_every_code_has_a_name_and_a_family():
    for code, value in segbridge.errors.VALUES.items():
        error = segbridge.errors.make_error(code, "detail")
        assert isinstance(error, segbridge.Error) and error.value == value
    assert type(segbridge.errors.make_error("SEGB_ERR_NOT_FOUND", "x")) is segbridge.NotFoundError
    assert issubclass(segbridge.NotFoundError, segbridge.APIError)

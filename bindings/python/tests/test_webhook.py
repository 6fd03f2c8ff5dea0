"""Webhook: X-Signature (hex HMAC-SHA1 of the body, or of a batch's first
event, docs/WEBHOOKS.md) and Basic API keys, verified and parsed."""

import base64
import hashlib
import hmac
import json

import pytest

import segbridge

SECRET = "shared-secret"
TRACK = {
    "type": "track",
    "userId": "u-1",
    "event": "Lead Qualified",
    "messageId": "m-1",
    "properties": {"score": 87, "name": "Zoë"},
}


def sign(data, secret=SECRET):
    return hmac.new(secret.encode(), data, hashlib.sha1).hexdigest()


def basic(key):
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def refused(code, wh, headers, body):
    with pytest.raises(segbridge.WebhookError) as info:
        wh.verify_and_parse(headers, body)
    assert info.value.code == code and info.value.message
    return info.value


@pytest.fixture
def wh():
    with segbridge.Webhook(secrets=[SECRET]) as w:
        yield w


def test_a_signed_event(wh):
    body = json.dumps(TRACK, ensure_ascii=False).encode()
    events = wh.verify_and_parse({"X-Signature": sign(body)}, body)
    assert events == [TRACK]
    assert isinstance(events[0], dict)
    assert events.signed == [True] and events.invalid == []


def test_header_names_are_case_insensitive(wh):
    body = json.dumps(TRACK).encode()
    assert wh.verify_and_parse({b"x-signature": sign(body).upper().encode()}, body) == [TRACK]


def test_a_wrong_signature(wh):
    body = json.dumps(TRACK).encode()
    refused("SEGB_ERR_WEBHOOK_WRONG_SIGNATURE", wh, {"X-Signature": sign(body, "other")}, body)
    refused("SEGB_ERR_WEBHOOK_WRONG_SIGNATURE", wh, {"X-Signature": sign(body + b" ")}, body)


def test_missing_and_malformed_signatures(wh):
    body = json.dumps(TRACK).encode()
    refused("SEGB_ERR_WEBHOOK_NO_SIGNATURE", wh, {}, body)
    refused("SEGB_ERR_WEBHOOK_NO_SIGNATURE", wh, None, body)
    refused("SEGB_ERR_WEBHOOK_BAD_SIGNATURE", wh, {"X-Signature": "xyz"}, body)
    refused("SEGB_ERR_INVALID_ARG", wh, {"X-Signature": sign(body) + "\0"}, body)


def test_a_batch_signed_over_its_first_event(wh):
    first = json.dumps(TRACK).encode()
    second = {"type": "identify", "userId": "u-2", "traits": {"plan": "pro"}}
    body = b"[" + first + b"," + json.dumps(second).encode() + b"]"
    events = wh.verify_and_parse({"X-Signature": sign(first)}, body)
    assert events == [TRACK, second]
    assert events.signed == [True, False]

    with segbridge.Webhook(secrets=[SECRET], refuse_unsigned=True) as strict:
        refused("SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS", strict, {"X-Signature": sign(first)}, body)


def test_invalid_events_are_left_out(wh):
    body = json.dumps([TRACK, {"type": "track", "event": "No One"}, 7]).encode()
    events = wh.verify_and_parse({"X-Signature": sign(body)}, body)
    assert events == [TRACK]
    assert [(i, code) for i, code, _ in events.invalid] == [
        (1, "SEGB_ERR_MISSING_IDENTITY"),
        (2, "SEGB_ERR_JSON_TYPE"),
    ]


def test_a_body_that_is_not_json(wh):
    body = b'{"type":"track",'
    refused("SEGB_ERR_INVALID_JSON", wh, {"X-Signature": sign(body)}, body)
    body = b'{"type":"track","userId":"\xff"}'
    refused("SEGB_ERR_INVALID_UTF8", wh, {"X-Signature": sign(body)}, body)


def test_api_keys():
    body = json.dumps(TRACK).encode()
    with segbridge.Webhook(api_keys=["key-old", "key-new"]) as w:
        assert w.verify_and_parse({"Authorization": basic("key-new")}, bytearray(body)) == [TRACK]
        refused("SEGB_ERR_WEBHOOK_WRONG_KEY", w, {"authorization": basic("key-other")}, body)
        refused("SEGB_ERR_WEBHOOK_NO_AUTH", w, {}, body)
        refused("SEGB_ERR_WEBHOOK_NOT_BASIC", w, {"Authorization": "Bearer key-new"}, body)
        with pytest.raises(segbridge.WebhookError):
            w.verify_and_parse({"Authorization": "Basic !!!"}, body)


def test_bad_construction_and_input():
    with pytest.raises(segbridge.ConfigError):
        segbridge.Webhook()
    with pytest.raises(segbridge.ConfigError) as info:
        segbridge.Webhook(api_keys=["has:colon"])
    assert info.value.code == "SEGB_ERR_INVALID_ARG"
    with pytest.raises(segbridge.ConfigError):
        segbridge.Webhook(secrets=[""])
    with pytest.raises(TypeError):
        segbridge.Webhook(secrets="a-single-str")
    with pytest.raises(TypeError):
        segbridge.Webhook(secrets=[b"bytes"])
    w = segbridge.Webhook(secrets=[SECRET])
    with pytest.raises(TypeError):
        w.verify_and_parse({}, {"not": "bytes"})
    with pytest.raises(TypeError):
        w.verify_and_parse(["X-Signature"], b"{}")
    w.close()
    w.close()
    with pytest.raises(segbridge.ClosedError):
        w.verify_and_parse({}, b"{}")

"""segbridge.Webhook: verify and parse the webhooks Segment sends
(segb_webhook_t; docs/WEBHOOKS.md has the checks).

    wh = segbridge.Webhook(secrets=[os.environ["SEGMENT_WEBHOOK_SECRET"]])
    try:
        events = wh.verify_and_parse(request.headers, request.body)
    except segbridge.WebhookError as e:
        answer 401, 413 or 400 by e.code

A batch signed over its first event only (Segment's Actions webhooks) has
its later events unauthenticated: events.signed[i] tells which ones the
signature covers, and refuse_unsigned=True refuses such batches.
"""

import ctypes
import json

from . import _convert
from ._handle import Handle
from ._lib import WEBHOOK_OPT_REFUSE_UNSIGNED, lib, take_text
from .errors import ConfigError, WebhookError, code_name, from_rc


class WebhookEvents(list):
    """The valid events of a webhook body, each a dict, in body order.

    signed[i] is True when the X-Signature covers self[i]; invalid lists the
    events left out, as (index in the body, code, reason) tuples: events
    that are not objects, lack a type or an identity, or have a type
    Segment does not send."""

    def __init__(self):
        super().__init__()
        self.signed = []
        self.invalid = []


def _credentials(values, what):
    if values is None:
        return []
    if isinstance(values, (str, bytes)):
        raise TypeError(f"segbridge: {what} must be a list of str, not a single value")
    return [_convert.utf8(v, what[:-1]) for v in values]


def _header(headers, name):
    """The value of header @name (case-insensitive) as bytes, or None."""
    if headers is None:
        return None
    if not hasattr(headers, "items"):
        raise TypeError("segbridge: headers must be a mapping of header names to values")
    for key, value in headers.items():
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        if not isinstance(key, str) or key.lower() != name:
            continue
        if isinstance(value, str):
            value = value.encode("latin-1", "replace")
        if not isinstance(value, bytes):
            raise TypeError(f"segbridge: header {key} must be a str or bytes")
        if b"\0" in value:
            raise WebhookError("SEGB_ERR_INVALID_ARG", f"header {key} holds a NUL byte")
        return value
    return None


class Webhook:
    """A verifier expecting Authorization: Basic with one of @api_keys
    and/or an X-Signature made with one of @secrets (at least one key or
    secret). Thread-safe: verify from any number of threads at once."""

    def __init__(self, api_keys=None, secrets=None, refuse_unsigned=False):
        keys = _credentials(api_keys, "api_keys")
        secret_list = _credentials(secrets, "secrets")
        if not keys and not secret_list:
            raise ConfigError(
                "SEGB_ERR_INVALID_ARG", "a webhook verifier needs an API key or a secret"
            )
        ptr = lib.segb_webhook_new()
        if not ptr:
            raise MemoryError("segbridge: out of memory")
        try:
            for key in keys:
                self._check(lib.segb_webhook_add_api_key(ptr, key))
            for secret in secret_list:
                self._check(lib.segb_webhook_add_secret(ptr, secret))
            if refuse_unsigned:
                self._check(lib.segb_webhook_set_option(ptr, WEBHOOK_OPT_REFUSE_UNSIGNED, 1))
        except BaseException:
            lib.segb_webhook_destroy(ptr)
            raise
        self._handle = Handle(ptr, "webhook verifier")

    @staticmethod
    def _check(rc):
        if rc < 0:
            raise from_rc(rc, family=ConfigError)

    def verify_and_parse(self, headers, body):
        """Verify one request (its headers mapping and raw body bytes) and
        return its events (WebhookEvents, a list of dicts); WebhookError
        (.code) when the request is refused."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        elif not isinstance(body, bytes):
            raise TypeError("segbridge: body must be bytes")
        authorization = _header(headers, "authorization")
        signature = _header(headers, "x-signature")
        batch = ctypes.c_void_p()
        with self._handle.use() as ptr:
            rc = lib.segb_webhook_receive(
                ptr, authorization, signature, body, len(body), ctypes.byref(batch)
            )
        if rc < 0:
            raise from_rc(rc, family=WebhookError)
        try:
            return self._events(batch)
        finally:
            lib.segb_webhook_batch_destroy(batch)

    @staticmethod
    def _events(batch):
        events = WebhookEvents()
        for i in range(lib.segb_webhook_batch_count(batch)):
            err = lib.segb_webhook_event_err(batch, i)
            if err != 0:
                reason = lib.segb_webhook_event_errstr(batch, i).decode("utf-8", "replace")
                events.invalid.append((i, code_name(err), reason))
                continue
            length = ctypes.c_size_t()
            text = lib.segb_json_text(lib.segb_webhook_event(batch, i), ctypes.byref(length))
            events.append(json.loads(take_text(text, length.value)))
            events.signed.append(bool(lib.segb_webhook_event_signed(batch, i)))
        return events

    def close(self):
        """Wipe the keys and secrets and free the verifier; closing again
        does nothing, and a closed verifier raises ClosedError."""
        if self._handle.begin_close():
            lib.segb_webhook_destroy(self._handle.finish_close())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle is not None:
            self.close()

"""segbridge.Client: the Tracking API client (segb_client_t).

Delivery reports run on a thread of the binding's own, "segbridge-reports":
the client is made with report.mode=poll, and that thread waits on
segb_client_report_fd() and calls segb_client_poll(). The C callback only
copies a report's fields into a DeliveryReport and queues it; the thread
then hands each to on_delivery, outside any C call, so on_delivery may call
the client (track, flush, even close). No Python code runs on a library
thread.

A C client must not be freed while another call on it runs (client.h,
Threading). Every call here holds a use count for as long as it is in C;
close() first marks the client closing (new calls raise ClosedError), waits
for the count to drop to zero, then calls segb_client_close(), which hands
the reports still waiting to the callback on the closing thread; the
report thread delivers them and ends, and close() joins it.
"""

import atexit
import collections
import contextlib
import ctypes
import dataclasses
import logging
import os
import select
import threading
import time
import weakref
from typing import Optional

from . import _convert
from ._handle import Handle
from ._lib import (
    DELIVERY_CB,
    ERRSTR_SIZE,
    MSG_ALIAS,
    MSG_GROUP,
    MSG_IDENTIFY,
    MSG_PAGE,
    MSG_SCREEN,
    MSG_TRACK,
    lib,
)
from .errors import (
    VALUES,
    ClosedError,
    ConfigError,
    MessageError,
    check,
    code_name,
    from_constructor,
    from_rc,
)

log = logging.getLogger("segbridge")

_TIMED_OUT = VALUES["SEGB_ERR_TIMED_OUT"]

# The counters this library keeps, in segb_stat_t order: with a count of 0
# segb_client_stats() says how many there are.
STAT_NAMES = tuple(
    lib.segb_stat_name(i).decode() for i in range(lib.segb_client_stats(None, None, 0))
)


@dataclasses.dataclass(frozen=True)
class DeliveryReport:
    """The fate of one accepted message, as on_delivery receives it."""

    message_id: str
    error: Optional[str]  # None when delivered, else the code ("SEGB_ERR_...")
    error_message: str  # why it was dropped; "" when delivered
    status: int  # the last HTTP status seen, 0 if none
    attempts: int  # requests made for it


# Clients not closed yet; whatever is left is closed at interpreter exit.
_open_clients = weakref.WeakSet()


@atexit.register
def _close_open_clients():
    for client in list(_open_clients):
        client.close()


def _text(data):
    return data.decode("utf-8", "replace") if data is not None else ""


class Client:
    """A Tracking API client. Any config key goes into @settings
    (docs/CONFIGURATION.md) except report.mode, which the binding sets.
    on_delivery(report) is called once for every accepted message, on the
    binding's report thread. The client is thread-safe; close it (or leave a
    with-block) to send what is queued."""

    def __init__(
        self,
        write_key=None,
        region="us",
        endpoint=None,
        on_delivery=None,
        settings=None,
    ):
        if on_delivery is not None and not callable(on_delivery):
            raise TypeError("segbridge: on_delivery must be callable or None")
        if settings is not None and hasattr(settings, "keys") and "report.mode" in settings:
            raise ConfigError(
                "SEGB_ERR_INVALID_VALUE",
                "report.mode is set by the binding (poll, served on its own thread)",
            )
        self._on_delivery = on_delivery
        self._reports = collections.deque()
        self._cond = threading.Condition()  # guards _served
        self._served = 0  # reports handed to on_delivery
        self._closed = threading.Event()  # set once segb_client_close returned
        self._close_result = None
        # Kept for the whole life of the object: the C client calls it until
        # segb_client_close() returns.
        self._c_callback = DELIVERY_CB(self._collect)

        conf = _convert.build_config(
            [
                ("write_key", write_key),
                ("region", region),
                ("endpoint", endpoint),
                ("report.mode", "poll"),
            ],
            settings,
        )
        lib.segb_config_set_delivery_cb(conf, self._c_callback)
        errstr = ctypes.create_string_buffer(ERRSTR_SIZE)
        handle = lib.segb_client_new(conf, errstr, ERRSTR_SIZE)
        if not handle:
            error = from_constructor(errstr.value)
            lib.segb_config_destroy(conf)
            raise error
        self._handle = Handle(handle, "client")
        self._report_fd = lib.segb_client_report_fd(handle)
        try:
            self._wake_r, self._wake_w = os.pipe()
        except BaseException:
            self._abandon()
            raise
        os.set_blocking(self._wake_r, False)
        self._thread = threading.Thread(
            target=self._serve, name="segbridge-reports", daemon=True
        )
        try:
            self._thread.start()
        except BaseException:
            self._abandon()
            os.close(self._wake_r)
            os.close(self._wake_w)
            raise
        _open_clients.add(self)

    # ---- events ----------------------------------------------------------

    def track(
        self,
        user_id,
        event,
        properties=None,
        anonymous_id=None,
        context=None,
        timestamp=None,
        message_id=None,
        integrations=None,
    ):
        """Queue a track event; returns its messageId."""
        return self._send(
            MSG_TRACK,
            user_id,
            anonymous_id,
            [("event", event)],
            [("properties", properties), ("context", context), ("integrations", integrations)],
            timestamp,
            message_id,
        )

    def identify(
        self,
        user_id,
        traits=None,
        anonymous_id=None,
        context=None,
        timestamp=None,
        message_id=None,
        integrations=None,
    ):
        """Queue an identify call; returns its messageId."""
        return self._send(
            MSG_IDENTIFY,
            user_id,
            anonymous_id,
            [],
            [("traits", traits), ("context", context), ("integrations", integrations)],
            timestamp,
            message_id,
        )

    def _view(self, kind, user_id, name, properties, anonymous_id, context,
              timestamp, message_id, integrations, category):
        """A page or a screen: the same fields."""
        return self._send(
            kind,
            user_id,
            anonymous_id,
            [("name", name), ("category", category)],
            [("properties", properties), ("context", context), ("integrations", integrations)],
            timestamp,
            message_id,
        )

    def page(
        self,
        user_id,
        name=None,
        properties=None,
        anonymous_id=None,
        context=None,
        timestamp=None,
        message_id=None,
        integrations=None,
        category=None,
    ):
        """Queue a page call; returns its messageId."""
        return self._view(
            MSG_PAGE, user_id, name, properties, anonymous_id, context, timestamp,
            message_id, integrations, category,
        )

    def screen(
        self,
        user_id,
        name=None,
        properties=None,
        anonymous_id=None,
        context=None,
        timestamp=None,
        message_id=None,
        integrations=None,
        category=None,
    ):
        """Queue a screen call; returns its messageId."""
        return self._view(
            MSG_SCREEN, user_id, name, properties, anonymous_id, context, timestamp,
            message_id, integrations, category,
        )

    def group(
        self,
        user_id,
        group_id,
        traits=None,
        anonymous_id=None,
        context=None,
        timestamp=None,
        message_id=None,
        integrations=None,
    ):
        """Queue a group call; returns its messageId."""
        return self._send(
            MSG_GROUP,
            user_id,
            anonymous_id,
            [("groupId", group_id)],
            [("traits", traits), ("context", context), ("integrations", integrations)],
            timestamp,
            message_id,
        )

    def alias(
        self,
        user_id,
        previous_id,
        context=None,
        timestamp=None,
        message_id=None,
        integrations=None,
    ):
        """Queue an alias call; returns its messageId."""
        return self._send(
            MSG_ALIAS,
            user_id,
            None,
            [("previousId", previous_id)],
            [("context", context), ("integrations", integrations)],
            timestamp,
            message_id,
        )

    def _send(self, msg_type, user_id, anonymous_id, strings, objects, timestamp, message_id):
        # Everything is converted before the message exists: a bad value
        # raises with nothing to free.
        fields = []
        for path, value in [("userId", user_id), ("anonymousId", anonymous_id)] + strings + [
            ("messageId", message_id),
            ("timestamp", None if timestamp is None else _convert.timestamp(timestamp)),
        ]:
            if value is not None:
                data = _convert.utf8(value, path, error=MessageError, nul_ok=True)
                fields.append((lib.segb_message_set_string_len, path, data))
        for path, value in objects:
            if value is not None:
                data = _convert.json_text(value, path)
                fields.append((lib.segb_message_set_json_len, path, data))

        msg = lib.segb_message_new(msg_type)
        if not msg:
            raise MemoryError("segbridge: out of memory")
        try:
            for setter, path, data in fields:
                check(setter(msg, path.encode(), data, len(data)))
            message_id = lib.segb_message_id(msg).decode()
            with self._handle.use() as handle:
                rc = lib.segb_client_enqueue(handle, msg)  # takes msg, always
                msg = None
        finally:
            if msg is not None:
                lib.segb_message_destroy(msg)
        check(rc)
        return message_id

    # ---- flush, stats, close --------------------------------------------

    def flush(self, timeout=5.0):
        """Send what is queued and wait, at most @timeout seconds (None: no
        limit), until each message enqueued before the call is reported and
        its report handed to on_delivery. True when all were; False when
        time ran out first (the rest goes on in the background)."""
        ms = _convert.milliseconds(timeout, "timeout")
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._handle.use() as handle:
            rc = lib.segb_client_flush(handle, ms)
            if rc == _TIMED_OUT:
                return False
            check(rc)
            fates = self._read_stats(handle)
        reported = fates["delivered"] + fates["dropped"]
        if threading.current_thread() is self._thread:
            return True  # from on_delivery: the rest is delivered after it returns
        with self._cond:
            return self._cond.wait_for(
                lambda: self._served >= reported,
                None if deadline is None else max(0.0, deadline - time.monotonic()),
            )

    def stats(self):
        """The client's counters: {"enqueued": n, "delivered": n, ...}, one
        key per segb_stat_name() of the library."""
        with self._handle.use() as handle:
            return self._read_stats(handle)

    @staticmethod
    def _read_stats(handle):
        values = (ctypes.c_int64 * len(STAT_NAMES))()
        filled = check(lib.segb_client_stats(handle, values, len(STAT_NAMES)))
        return {name: values[i] for i, name in enumerate(STAT_NAMES[:filled])}

    @property
    def closed(self):
        return self._handle.closing

    def close(self, timeout=5.0):
        """Refuse new events, send what is held for at most @timeout seconds
        (None: no limit), report the rest as dropped with SEGB_ERR_CLOSED,
        hand every report to on_delivery and stop the report thread. True
        when nothing was left undelivered. Closing again returns the first
        answer; once closed every call raises ClosedError."""
        ms = _convert.milliseconds(timeout, "timeout")
        if not self._handle.begin_close():
            self._closed.wait()
            return self._close_result
        os.write(self._wake_w, b"x")
        rc = lib.segb_client_close(self._handle.finish_close(), ms)
        self._close_result = rc == 0
        if rc < 0 and rc != _TIMED_OUT:
            log.error("segbridge: close: %s", from_rc(rc))
        _open_clients.discard(self)
        self._closed.set()
        if threading.current_thread() is not self._thread:
            self._thread.join()
        return self._close_result

    def _abandon(self):
        """Close a client __init__ could not finish (no report yet to serve)."""
        self._handle.begin_close()
        lib.segb_client_close(self._handle.finish_close(), 0)
        self._closed.set()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- reports -----------------------------------------------------------

    def _collect(self, _client, report, _opaque):
        """The C delivery callback: copy the report, queue it, nothing more."""
        try:
            err = lib.segb_report_err(report)
            self._reports.append(
                DeliveryReport(
                    message_id=_text(lib.segb_report_message_id(report)),
                    error=None if err == 0 else code_name(err),
                    error_message=_text(lib.segb_report_errstr(report)),
                    status=lib.segb_report_http_status(report),
                    attempts=lib.segb_report_attempts(report),
                )
            )
        except BaseException:  # never into C
            log.exception("segbridge: reading a delivery report failed")

    def _deliver(self):
        while self._reports:
            report = self._reports.popleft()
            if self._on_delivery is not None:
                try:
                    self._on_delivery(report)
                except BaseException:
                    log.exception("segbridge: on_delivery raised (report of %s)", report.message_id)
            with self._cond:
                self._served += 1
                self._cond.notify_all()

    def _serve(self):
        """The report thread: serve reports until close, then deliver the
        ones close made. It alone closes the wake pipe, once close is done
        with it."""
        try:
            self._serve_until_closing()
        except BaseException:
            log.exception("segbridge: the report thread failed; reports wait for close")
        self._closed.wait()
        self._deliver()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _serve_until_closing(self):
        poller = select.poll()
        poller.register(self._report_fd, select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        while True:
            self._deliver()
            if self._handle.closing:
                return
            # close() writes the wake pipe after it marks the client closing
            # and before the report fd goes away, so a poll that starts late
            # (even on the closed fd) returns at once.
            poller.poll()
            with contextlib.suppress(BlockingIOError):
                os.read(self._wake_r, 64)
            try:
                with self._handle.use() as handle:
                    rc = lib.segb_client_poll(handle, 0)
            except ClosedError:
                continue
            if rc < 0:
                log.error("segbridge: poll: %s", from_rc(rc))

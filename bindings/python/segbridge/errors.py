"""segbridge.Error and its families, one class per kind of failure.

Every error carries .code, the library's symbolic name ("SEGB_ERR_QUEUE_FULL",
as segb_err_name() spells it), .value, its number, and .message, the detail
(segb_last_error_message() or the errstr buffer of the call). The families
group the codes of include/segbridge/error.h:

    ConfigError     (also a ValueError) a setting, credential or argument
                    refused: UNKNOWN_OPTION, INVALID_VALUE, NO_CREDENTIALS,
                    KEY_*; also a Webhook's bad key or secret (INVALID_ARG)
    MessageError    (also a ValueError) an event refused before it is queued:
                    INVALID_UTF8, INVALID_NUMBER, INVALID_JSON, JSON_TYPE,
                    MISSING_FIELD, INVALID_FIELD, EMPTY_FIELD, TOO_LARGE,
                    MESSAGE_ID_TOO_LONG, INVALID_TIMESTAMP, TOO_DEEP, SEALED,
                    DUPLICATE_KEY
    QueueFullError  QUEUE_FULL
    ClosedError     CLOSED: the client or reader is closed
    ExcludedError   DIRECTION, FILTERED: the client's direction or
                    event_types setting leaves the event out
    NetworkError    TIMED_OUT, DNS, CONNECT, TLS, NETWORK
    AuthError       AUTH, OAUTH_INVALID_CLIENT, OAUTH_INVALID_SCOPE
    APIError        RATE_LIMITED, REJECTED, SERVER, RETRIES_EXHAUSTED,
                    OAUTH_RESPONSE, BAD_RESPONSE, and NOT_FOUND as its
                    subclass NotFoundError
    WebhookError    every failure of Webhook.verify_and_parse(), whatever its
                    code (WEBHOOK_*, INVALID_BASE64, BODY_TOO_LARGE,
                    TOO_MANY_EVENTS, INVALID_JSON, ...)
    SpoolError      SPOOL_LOCKED, SPOOL_IO, SPOOLED

The other codes (INVALID_ARG, NOMEM, SYSTEM, ...) raise Error itself.
"""

from ._lib import lib


class Error(Exception):
    """A libsegbridge failure: .code ("SEGB_ERR_..."), .value, .message."""

    def __init__(self, code, message="", value=None):
        self.code = code
        self.message = message
        self.value = VALUES.get(code) if value is None else value
        super().__init__(f"{code}: {message}" if message else code)


class ConfigError(Error, ValueError):
    """A setting, a credential, a key or an argument refused."""


class MessageError(Error, ValueError):
    """An event refused before it was queued."""


class QueueFullError(Error):
    """The client's queue is full (queue.max_events, queue.max_bytes)."""


class ClosedError(Error):
    """The client or reader is closed."""


class ExcludedError(Error):
    """The client's direction or event_types setting leaves the event out."""


class NetworkError(Error):
    """No answer: timed out, name not resolved, connection or TLS failed."""


class AuthError(Error):
    """Credentials rejected."""


class APIError(Error):
    """The server answered with a failure, or with something unreadable."""


class NotFoundError(APIError):
    """No such profile or resource (HTTP 404)."""


class WebhookError(Error):
    """A webhook request refused: not verified, or its body unreadable."""


class SpoolError(Error):
    """The disk spool is held by another client, or cannot be written."""


_FAMILIES = {
    ConfigError: "UNKNOWN_OPTION INVALID_VALUE NO_CREDENTIALS KEY_UNREADABLE "
    "KEY_NOT_PRIVATE KEY_NOT_RSA KEY_TOO_SMALL",
    MessageError: "INVALID_UTF8 INVALID_NUMBER INVALID_JSON JSON_TYPE MISSING_FIELD "
    "INVALID_FIELD EMPTY_FIELD TOO_LARGE MESSAGE_ID_TOO_LONG INVALID_TIMESTAMP "
    "TOO_DEEP SEALED DUPLICATE_KEY",
    QueueFullError: "QUEUE_FULL",
    ClosedError: "CLOSED",
    ExcludedError: "DIRECTION FILTERED",
    NetworkError: "TIMED_OUT DNS CONNECT TLS NETWORK",
    AuthError: "AUTH OAUTH_INVALID_CLIENT OAUTH_INVALID_SCOPE",
    APIError: "RATE_LIMITED REJECTED SERVER RETRIES_EXHAUSTED OAUTH_RESPONSE "
    "BAD_RESPONSE",
    NotFoundError: "NOT_FOUND",
    WebhookError: "WEBHOOK_NO_AUTH WEBHOOK_NOT_BASIC WEBHOOK_PASSWORD "
    "WEBHOOK_WRONG_KEY WEBHOOK_NO_SIGNATURE WEBHOOK_BAD_SIGNATURE "
    "WEBHOOK_WRONG_SIGNATURE WEBHOOK_UNSIGNED_EVENTS INVALID_BASE64 "
    "BODY_TOO_LARGE TOO_MANY_EVENTS UNKNOWN_TYPE MISSING_IDENTITY",
    SpoolError: "SPOOL_LOCKED SPOOL_IO SPOOLED",
}

_CLASS_OF = {
    "SEGB_ERR_" + name: cls for cls, names in _FAMILIES.items() for name in names.split()
}

# The codes run without gaps from 0 down to segb_err_min() (error.h).
VALUES = {
    lib.segb_err_name(v).decode(): v for v in range(lib.segb_err_min(), 1)
}


def code_name(rc):
    """"SEGB_ERR_..." for a code; "SEGB_ERR_UNKNOWN" for one the library lacks."""
    return lib.segb_err_name(rc).decode()


def make_error(code, message, family=None):
    """The error for code name @code: of @family when given, else of its own."""
    cls = family or _CLASS_OF.get(code, Error)
    return cls(code, message)


def from_rc(rc, errstr=None, family=None):
    """The error for return code @rc, with the detail from @errstr (bytes of
    an errstr buffer) or else the calling thread's segb_last_error_message()."""
    detail = errstr if errstr else lib.segb_last_error_message()
    message = (detail or lib.segb_err_str(rc)).decode("utf-8", "replace")
    return make_error(code_name(rc), message, family)


def check(rc, family=None):
    """Raise the error for @rc when it is not SEGB_OK; return it otherwise."""
    if rc < 0:
        raise from_rc(rc, family=family)
    return rc


def from_constructor(errstr, family=None):
    """The error of a constructor that returned NULL: the code it recorded
    for the calling thread, the detail from its errstr buffer (bytes)."""
    rc = lib.segb_last_error()
    return from_rc(rc if rc < 0 else VALUES["SEGB_ERR_INVALID_ARG"], errstr, family)

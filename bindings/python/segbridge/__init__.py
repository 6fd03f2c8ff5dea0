"""segbridge: Python binding of libsegbridge, the C client for Segment.

Pure ctypes over the installed shared library, found through
$SEGBRIDGE_LIBRARY, then ctypes.util.find_library("segbridge"), then
"libsegbridge.so.0". See README.md for an example.
"""

from ._lib import lib as _lib
from .client import STAT_NAMES, Client, DeliveryReport
from .errors import (
    APIError,
    AuthError,
    ClosedError,
    ConfigError,
    Error,
    ExcludedError,
    MessageError,
    NetworkError,
    NotFoundError,
    QueueFullError,
    SpoolError,
    WebhookError,
)
from .reader import Reader
from .webhook import Webhook, WebhookEvents

__version__ = "0.2.0"

# The version of the loaded library, "MAJOR.MINOR.PATCH".
library_version = _lib.segb_version_str().decode()

__all__ = [
    "APIError",
    "AuthError",
    "Client",
    "ClosedError",
    "ConfigError",
    "DeliveryReport",
    "Error",
    "ExcludedError",
    "MessageError",
    "NetworkError",
    "NotFoundError",
    "QueueFullError",
    "Reader",
    "STAT_NAMES",
    "SpoolError",
    "Webhook",
    "WebhookError",
    "WebhookEvents",
    "library_version",
]

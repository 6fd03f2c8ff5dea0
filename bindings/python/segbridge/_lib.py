"""Loading libsegbridge and the prototypes of the C functions the binding calls.

The library is the first of: the path in $SEGBRIDGE_LIBRARY, what
ctypes.util.find_library("segbridge") finds, "libsegbridge.so.0" on the
loader's search path. Every function is declared with its argument and
result types (include/segbridge/*.h); opaque handles travel as c_void_p, and
strings the library allocates come back as c_void_p so that they can be
given back to segb_free().
"""

import ctypes
import ctypes.util
import os

from ctypes import (
    CFUNCTYPE,
    POINTER,
    c_char_p,
    c_int,
    c_int32,
    c_int64,
    c_size_t,
    c_uint32,
    c_void_p,
)

# The oldest library with what the binding needs (poll mode, the stats
# snapshot, segb_webhook_receive): 0.2.0, as segb_version() spells it.
MIN_VERSION = 0x000200

ERRSTR_SIZE = 256  # SEGB_ERRSTR_SIZE

MSG_IDENTIFY, MSG_TRACK, MSG_PAGE, MSG_SCREEN, MSG_GROUP, MSG_ALIAS = range(1, 7)

PROFILE_TRAITS, PROFILE_EVENTS, PROFILE_EXTERNAL_IDS, PROFILE_METADATA = range(4)

WEBHOOK_OPT_REFUSE_UNSIGNED = 5

# void segb_delivery_cb(segb_client_t *, const segb_report_t *, void *)
DELIVERY_CB = CFUNCTYPE(None, c_void_p, c_void_p, c_void_p)

_PROTOTYPES = {
    # version.h, error.h
    "segb_version": (c_uint32, []),
    "segb_version_str": (c_char_p, []),
    "segb_err_name": (c_char_p, [c_int]),
    "segb_err_str": (c_char_p, [c_int]),
    "segb_err_min": (c_int, []),
    "segb_last_error": (c_int, []),
    "segb_last_error_message": (c_char_p, []),
    # config.h
    "segb_config_new": (c_void_p, []),
    "segb_config_destroy": (None, [c_void_p]),
    "segb_config_set": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p, c_size_t]),
    # message.h
    "segb_message_new": (c_void_p, [c_int]),
    "segb_message_destroy": (None, [c_void_p]),
    "segb_message_set_string_len": (c_int, [c_void_p, c_char_p, c_char_p, c_size_t]),
    "segb_message_set_json_len": (c_int, [c_void_p, c_char_p, c_char_p, c_size_t]),
    "segb_message_id": (c_char_p, [c_void_p]),
    # client.h
    "segb_config_set_delivery_cb": (None, [c_void_p, DELIVERY_CB]),
    "segb_client_new": (c_void_p, [c_void_p, c_char_p, c_size_t]),
    "segb_client_enqueue": (c_int, [c_void_p, c_void_p]),
    "segb_client_flush": (c_int, [c_void_p, c_int]),
    "segb_client_close": (c_int, [c_void_p, c_int]),
    "segb_client_stats": (c_int, [c_void_p, POINTER(c_int64), c_size_t]),
    "segb_stat_name": (c_char_p, [c_int]),
    "segb_client_poll": (c_int, [c_void_p, c_int]),
    "segb_client_report_fd": (c_int, [c_void_p]),
    "segb_report_err": (c_int, [c_void_p]),
    "segb_report_errstr": (c_char_p, [c_void_p]),
    "segb_report_message_id": (c_char_p, [c_void_p]),
    "segb_report_http_status": (c_int, [c_void_p]),
    "segb_report_attempts": (c_int, [c_void_p]),
    # json.h
    "segb_json_text": (c_void_p, [c_void_p, POINTER(c_size_t)]),
    "segb_free": (None, [c_void_p]),
    # webhook.h
    "segb_webhook_new": (c_void_p, []),
    "segb_webhook_destroy": (None, [c_void_p]),
    "segb_webhook_add_api_key": (c_int, [c_void_p, c_char_p]),
    "segb_webhook_add_secret": (c_int, [c_void_p, c_char_p]),
    "segb_webhook_set_option": (c_int, [c_void_p, c_int, c_size_t]),
    "segb_webhook_receive": (
        c_int,
        [c_void_p, c_char_p, c_char_p, c_char_p, c_size_t, POINTER(c_void_p)],
    ),
    "segb_webhook_batch_destroy": (None, [c_void_p]),
    "segb_webhook_batch_count": (c_size_t, [c_void_p]),
    "segb_webhook_event": (c_void_p, [c_void_p, c_size_t]),
    "segb_webhook_event_err": (c_int, [c_void_p, c_size_t]),
    "segb_webhook_event_errstr": (c_char_p, [c_void_p, c_size_t]),
    "segb_webhook_event_signed": (c_int, [c_void_p, c_size_t]),
    # api.h
    "segb_reader_new": (c_void_p, [c_void_p, c_char_p, c_size_t]),
    "segb_reader_destroy": (None, [c_void_p]),
    "segb_workspace_get": (c_int, [c_void_p, POINTER(c_void_p)]),
    "segb_source_get": (c_int, [c_void_p, c_char_p, POINTER(c_void_p)]),
    "segb_sources_pager": (c_int, [c_void_p, c_int32, POINTER(c_void_p)]),
    "segb_profile_pager": (
        c_int,
        [c_void_p, c_int32, c_char_p, POINTER(c_char_p), POINTER(c_void_p)],
    ),
    "segb_pager_next": (c_int, [c_void_p, POINTER(c_void_p)]),
    "segb_pager_destroy": (None, [c_void_p]),
    "segb_result_data": (c_void_p, [c_void_p]),
    "segb_result_destroy": (None, [c_void_p]),
}


def _open():
    candidates = [
        os.environ.get("SEGBRIDGE_LIBRARY"),
        ctypes.util.find_library("segbridge"),
        "libsegbridge.so.0",
    ]
    tried = []
    for path in filter(None, candidates):
        try:
            return ctypes.CDLL(path)
        except OSError as exc:
            tried.append(f"{path}: {exc}")
    raise ImportError(
        "segbridge: cannot load libsegbridge (set SEGBRIDGE_LIBRARY to the path "
        "of libsegbridge.so.0): " + "; ".join(tried)
    )


def _declare(cdll):
    for name, (restype, argtypes) in _PROTOTYPES.items():
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            raise ImportError(
                f"segbridge: {cdll._name} has no {name}: libsegbridge 0.2 or later is needed"
            ) from None
        fn.restype = restype
        fn.argtypes = argtypes
    return cdll


lib = _declare(_open())

if lib.segb_version() < MIN_VERSION:
    raise ImportError(
        f"segbridge: {lib._name} is version {lib.segb_version_str().decode()}, "
        "0.2.0 or later is needed"
    )


def take_text(ptr, length):
    """The bytes of a library-allocated string, freed with segb_free()."""
    if not ptr:
        raise MemoryError("segbridge: out of memory")
    try:
        return ctypes.string_at(ptr, length)
    finally:
        lib.segb_free(ptr)

"""Python values to what the C functions take: UTF-8 bytes, JSON text,
timestamps, milliseconds, and a segb_config_t built from keyword arguments.

Bad input raises here, before any C call sees it: TypeError for a value of
the wrong type, ConfigError or MessageError (with the code the library would
give) for a string that is no valid UTF-8 (a lone surrogate), holds a NUL, or
a value JSON cannot hold (NaN, infinity, nesting too deep).
"""

import ctypes
import datetime
import json

from ._lib import ERRSTR_SIZE, lib
from .errors import ConfigError, MessageError, from_rc

INT_MAX = 2**31 - 1


def utf8(value, what, error=ConfigError, nul_ok=False):
    """@value (a str) as UTF-8 bytes; @what names it in the errors."""
    if not isinstance(value, str):
        raise TypeError(f"segbridge: {what} must be a str, not {type(value).__name__}")
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise error("SEGB_ERR_INVALID_UTF8", f"{what}: {exc.reason}") from None
    if not nul_ok and b"\0" in data:
        raise error("SEGB_ERR_INVALID_VALUE", f"{what} must not contain a NUL character")
    return data


def json_text(value, what):
    """@value serialized as compact JSON text, UTF-8 bytes (MessageError)."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except RecursionError:
        raise MessageError("SEGB_ERR_TOO_DEEP", f"{what} is nested too deep") from None
    except ValueError as exc:  # NaN or infinity, or a circular reference
        code = (
            "SEGB_ERR_INVALID_NUMBER"
            if str(exc).startswith("Out of range float")
            else "SEGB_ERR_INVALID_JSON"
        )
        raise MessageError(code, f"{what}: {exc}") from None
    except TypeError as exc:
        raise TypeError(f"segbridge: {what}: {exc}") from None
    return utf8(text, what, error=MessageError, nul_ok=True)


def timestamp(value):
    """A datetime (naive ones are local time) or an ISO-8601 str, as the
    ISO-8601 text with milliseconds and a Z the library expects."""
    if isinstance(value, datetime.datetime):
        utc = value.astimezone(datetime.timezone.utc)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    if isinstance(value, str):
        return value
    raise TypeError(
        f"segbridge: timestamp must be a datetime or a str, not {type(value).__name__}"
    )


def milliseconds(seconds, what):
    """A timeout in seconds (None: no limit) as the int milliseconds C takes."""
    if seconds is None:
        return -1
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"segbridge: {what} must be a number of seconds or None")
    if not seconds >= 0:  # also refuses NaN
        raise ValueError(f"segbridge: {what} must be >= 0 (or None for no limit)")
    return min(int(seconds * 1000), INT_MAX)


def setting_value(value, key):
    """A setting's value as the text segb_config_set() takes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    raise TypeError(
        f"segbridge: setting {key} must be a str, an int or a bool, "
        f"not {type(value).__name__}"
    )


def build_config(pairs, settings):
    """A new segb_config_t (a c_void_p) with @pairs (name, value; a None
    value is skipped) and then the @settings mapping applied; ConfigError
    names the first one refused. The caller owns the config."""
    if settings is None:
        settings = {}
    elif not hasattr(settings, "items"):
        raise TypeError("segbridge: settings must be a mapping of config keys to values")
    conf = lib.segb_config_new()
    if not conf:
        raise MemoryError("segbridge: out of memory")
    try:
        errstr = ctypes.create_string_buffer(ERRSTR_SIZE)
        for key, value in list(pairs) + list(settings.items()):
            if value is None:
                continue
            name = utf8(key, "setting name")
            text = utf8(setting_value(value, key), f"setting {key}")
            rc = lib.segb_config_set(conf, name, text, errstr, ERRSTR_SIZE)
            if rc < 0:
                raise from_rc(rc, errstr.value, ConfigError)
    except BaseException:
        lib.segb_config_destroy(conf)
        raise
    return conf

"""segbridge.Reader: the Public API and the Profile API (segb_reader_t;
docs/READ_API.md).

    with segbridge.Reader(profile_api_token=token, space_id="spa_...") as r:
        traits = r.traits("user_id:u-42")

Each call returns the parsed JSON of what it reads; the list calls walk
every page (params' "limit" is the page size). Failures raise Error
subclasses: NotFoundError for a profile or source that does not exist,
AuthError for a rejected token, APIError and NetworkError for the rest.
"""

import ctypes
import json
import threading

from . import _convert
from ._handle import Handle
from ._lib import (
    ERRSTR_SIZE,
    PROFILE_EVENTS,
    PROFILE_EXTERNAL_IDS,
    PROFILE_METADATA,
    PROFILE_TRAITS,
    lib,
    take_text,
)
from .errors import check, from_constructor


def _data(result):
    """The parsed data() of a result, which is freed."""
    try:
        length = ctypes.c_size_t()
        text = lib.segb_json_text(lib.segb_result_data(result), ctypes.byref(length))
        return json.loads(take_text(text, length.value))
    finally:
        lib.segb_result_destroy(result)


def _params(params):
    """A NULL-terminated char *[] of name, value pairs, or None."""
    if not params:
        return None
    if not hasattr(params, "items"):
        raise TypeError("segbridge: params must be a mapping of query names to values")
    items = []
    for name, value in params.items():
        items.append(_convert.utf8(name, "parameter name"))
        items.append(_convert.utf8(_convert.setting_value(value, name), f"parameter {name}"))
    return (ctypes.c_char_p * (len(items) + 1))(*items, None)


class Reader:
    """A reader for the Public API (@public_api_token) and/or the Profile
    API (@profile_api_token and @space_id). Any config key goes into
    @settings (public_api.endpoint, profile_api.endpoint, http.*, retry.*,
    api.timeout_ms). Calls from several threads take turns."""

    def __init__(
        self,
        public_api_token=None,
        profile_api_token=None,
        space_id=None,
        region="us",
        settings=None,
    ):
        conf = _convert.build_config(
            [
                ("public_api.token", public_api_token),
                ("profile_api.token", profile_api_token),
                ("profile_api.space_id", space_id),
                ("region", region),
            ],
            settings,
        )
        errstr = ctypes.create_string_buffer(ERRSTR_SIZE)
        ptr = lib.segb_reader_new(conf, errstr, ERRSTR_SIZE)
        if not ptr:
            error = from_constructor(errstr.value)
            lib.segb_config_destroy(conf)
            raise error
        self._handle = Handle(ptr, "reader")
        self._turn = threading.Lock()  # a C reader serves one thread at a time

    def _call(self, fn, *args):
        """fn(reader, *args, &result): the parsed data of the result."""
        result = ctypes.c_void_p()
        with self._turn, self._handle.use() as ptr:
            check(fn(ptr, *args, ctypes.byref(result)))
        return _data(result)

    def _walk(self, start, *args):
        """Every page of a pager start(reader, *args, &pager) made, merged:
        arrays joined, objects updated."""
        merged = None
        pager = ctypes.c_void_p()
        with self._turn, self._handle.use() as ptr:
            check(start(ptr, *args, ctypes.byref(pager)))
            try:
                while True:
                    page = ctypes.c_void_p()
                    check(lib.segb_pager_next(pager, ctypes.byref(page)))
                    if not page:
                        break
                    data = _data(page)
                    if merged is None:
                        merged = data
                    elif isinstance(merged, list):
                        merged.extend(data)
                    else:
                        merged.update(data)
            finally:
                lib.segb_pager_destroy(pager)
        return merged

    # ---- Public API ----------------------------------------------------

    def workspace(self):
        """The workspace: {"id", "slug", "name"}."""
        return self._call(lib.segb_workspace_get)

    def sources(self, page_size=0):
        """Every source of the workspace (a list), @page_size a request
        (1..1000; 0: Segment's default)."""
        if isinstance(page_size, bool) or not isinstance(page_size, int):
            raise TypeError("segbridge: page_size must be an int")
        if not 0 <= page_size <= _convert.INT_MAX:
            raise ValueError("segbridge: page_size must be 1..1000, or 0 for Segment's default")
        return self._walk(lib.segb_sources_pager, page_size) or []

    def source(self, source_id):
        """One source; NotFoundError when there is none with that id."""
        return self._call(lib.segb_source_get, _convert.utf8(source_id, "source_id"))

    # ---- Profile API ---------------------------------------------------
    # @identifier is "type:value" ("user_id:u-42", "email:jane@example.com");
    # @params the optional query parameters (docs/READ_API.md).

    def _profile(self, what, identifier, params):
        return self._walk(
            lib.segb_profile_pager,
            what,
            _convert.utf8(identifier, "identifier"),
            _params(params),
        )

    def traits(self, identifier, params=None):
        """The profile's traits (a dict)."""
        return self._profile(PROFILE_TRAITS, identifier, params) or {}

    def events(self, identifier, params=None):
        """The profile's events (a list, newest first)."""
        return self._profile(PROFILE_EVENTS, identifier, params) or []

    def external_ids(self, identifier, params=None):
        """The profile's external ids (a list)."""
        return self._profile(PROFILE_EXTERNAL_IDS, identifier, params) or []

    def metadata(self, identifier, params=None):
        """The profile's metadata (a dict)."""
        return self._profile(PROFILE_METADATA, identifier, params) or {}

    # ---- lifetime --------------------------------------------------------

    def close(self):
        """Free the reader, wiping its tokens; closing again does nothing,
        and a closed reader raises ClosedError."""
        if self._handle.begin_close():
            lib.segb_reader_destroy(self._handle.finish_close())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_handle", None) is not None:
            self.close()

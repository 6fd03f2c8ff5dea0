"""A C handle that is never freed while a call on it runs.

The library's objects must not be destroyed while another thread is inside
a call on them (a use after free). Every call holds the handle through
use(); closing first refuses new uses (ClosedError), then waits until the
calls in C have returned, and only then hands the pointer over to be freed.
"""

import contextlib
import threading

from .errors import ClosedError


class Handle:
    def __init__(self, ptr, what):
        self._ptr = ptr
        self._what = what  # "client", "reader", ...: named in ClosedError
        self._cond = threading.Condition()
        self._active = 0
        self._closing = False

    @property
    def closing(self):
        return self._closing

    @contextlib.contextmanager
    def use(self):
        """The pointer, not freed before the block ends; ClosedError once
        closing has begun."""
        with self._cond:
            if self._closing:
                raise ClosedError("SEGB_ERR_CLOSED", f"the {self._what} is closed")
            self._active += 1
        try:
            yield self._ptr
        finally:
            with self._cond:
                self._active -= 1
                if self._active == 0:
                    self._cond.notify_all()

    def begin_close(self):
        """Refuse new uses from now on; True for the first caller only."""
        with self._cond:
            first = not self._closing
            self._closing = True
            return first

    def finish_close(self):
        """After begin_close(): wait until no call is in C, and hand over
        the pointer, which is the caller's to free."""
        with self._cond:
            self._cond.wait_for(lambda: self._active == 0)
            ptr, self._ptr = self._ptr, None
            return ptr

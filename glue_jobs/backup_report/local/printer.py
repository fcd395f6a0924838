"""What the local tools say while they work: one line at a time, flushed; a progress bar on a terminal."""
from __future__ import annotations

from typing import IO


class Printer:
    """Writes lines to ``out`` (flushed at once); ``tty`` tells whether a progress bar can redraw in place."""

    def __init__(self, out: IO[str]):
        self.out = out
        self.tty = hasattr(out, "isatty") and out.isatty()

    def __call__(self, text: str = "", end: str = "\n") -> None:
        self.out.write(text + end)
        self.out.flush()

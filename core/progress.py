"""Progress of a long command (backup, restore) on stderr.

On a terminal one line is redrawn in place, at most ten times a second. When
stderr is a file or a pipe (cron, systemd, CI) nothing is redrawn: a line is
written when a step starts and when it ends, and in between at a tenth of
the way at most every REPORT_SECONDS, so a log gets a dozen lines per step
at most however large the job, and two for a quick one.
"""

import sys
import time

REDRAW_SECONDS = 0.1
REPORT_SECONDS = 5


def human_bytes(count):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"


class Progress:
    """`with Progress("Copying files", total=n, unit="bytes") as progress: progress.advance(k)`.
    total None: a count without a percentage."""

    def __init__(self, label, total=None, unit="items", stream=None):
        self.label, self.total, self.unit = label, total, unit
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.done = 0
        self.started = time.monotonic()
        self.drawn_at = self.started if not self.tty else 0.0
        self.tenths = 0

    def __enter__(self):
        if not self.tty:
            self.stream.write(f"{self.label}...\n")
            self.stream.flush()
        self.draw()
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None:
            self.finish()
        elif self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def amount(self, count):
        return human_bytes(count) if self.unit == "bytes" else f"{count} {self.unit}"

    def advance(self, count=1):
        self.done += count
        now = time.monotonic()
        if self.tty:
            if now - self.drawn_at >= REDRAW_SECONDS:
                self.draw()
        elif self.total and now - self.drawn_at >= REPORT_SECONDS:
            tenths = min(10, self.done * 10 // self.total)
            if self.tenths < tenths < 10:
                self.tenths, self.drawn_at = tenths, now
                self.stream.write(f"{self.label}: {tenths * 10}% ({self.amount(self.done)})\n")
                self.stream.flush()

    def status(self):
        if self.total:
            share = min(100, self.done * 100 // self.total)
            return f"{self.label}: {share:3d}% ({self.amount(self.done)} of {self.amount(self.total)})"
        return f"{self.label}: {self.amount(self.done)}"

    def draw(self):
        if self.tty:
            self.drawn_at = time.monotonic()
            self.stream.write(f"\r\x1b[K{self.status()}")
            self.stream.flush()

    def finish(self):
        seconds = time.monotonic() - self.started
        line = f"{self.label}: done, {self.amount(self.done)} in {seconds:.1f} s"
        self.stream.write(f"\r\x1b[K{line}\n" if self.tty else f"{line}\n")
        self.stream.flush()

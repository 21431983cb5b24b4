#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Write EVENTS lines of a long stream by looping a gen_stream.py stream
(a few hundred MB) instead of generating gigabytes: each pass after the
first shifts the exec ids (bm9kZTo<10 digits>, as gen_stream.py writes them)
by the lines of one pass, so processes never repeat, and the event times by
the span of one pass (gen_stream.py: 2,000 events a second), so time keeps
increasing. Used by bench_rss.sh through a pipe: no file of the whole run.
With --rss-pid PID (the reader of the pipe), it prints to standard error
the RSS of PID every STEP events (--step, default 1,000,000: the pipe holds
a few dozen events, so the reader has had all but those) and the largest
RSS sampled every few seconds.
Usage: stream_loop.py [--rss-pid PID [--step STEP]] STREAM EVENTS > out.jsonl"""
import argparse
import re
import sys
import time

EXEC_ID = re.compile(rb"bm9kZTo(\d{10})")
TIME = re.compile(rb'"time":"2026-01-(\d\d)T(\d\d):(\d\d):(\d\d)\.')
EVENTS_PER_SECOND = 2000  # gen_stream.py's rate


SAMPLE_SECONDS = 3


def rss_kb(pid):
    """VmRSS of pid in KB, or None once it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for l in f:
                if l.startswith("VmRSS:"):
                    return int(l.split()[1])
    except OSError:
        pass
    return None


class RssProbe:
    """The RSS of the pipe's reader at every step and its largest sample."""

    def __init__(self, pid, step):
        self.pid, self.step, self.peak, self.next_sample = pid, step, 0, 0.0

    def sample(self):
        kb = rss_kb(self.pid) if self.pid else None
        if kb is not None and kb > self.peak:
            self.peak = kb
        self.next_sample = time.monotonic() + SAMPLE_SECONDS
        return kb

    def after(self, written, out):
        if not self.pid:
            return
        if written % self.step == 0:
            out.flush()
            kb = self.sample()
            if kb is not None:
                print("events %9d  RSS %7.1f MB" % (written, kb / 1024), file=sys.stderr, flush=True)
        elif written % 1000 == 0 and time.monotonic() >= self.next_sample:
            self.sample()

    def done(self):
        if self.pid:
            print("peak RSS sampled every %d s: %.1f MB" % (SAMPLE_SECONDS, self.peak / 1024), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description="Loop a gen_stream.py stream with shifted exec ids and times.")
    ap.add_argument("--rss-pid", type=int, default=0)
    ap.add_argument("--step", type=int, default=1000000)
    ap.add_argument("stream")
    ap.add_argument("events", type=int)
    a = ap.parse_args()
    with open(a.stream, "rb") as f:
        base = [l for l in f if l.strip()]
    total = a.events
    if not base:
        sys.exit("stream_loop.py: %s has no lines" % a.stream)
    out = sys.stdout.buffer
    probe = RssProbe(a.rss_pid, max(1, a.step))
    written, k = 0, 0
    while written < total:
        if k == 0:
            for line in base:
                if written >= total:
                    break
                out.write(line)
                written += 1
                probe.after(written, out)
            k += 1
            continue
        id_shift = k * len(base)
        sec_shift = k * len(base) // EVENTS_PER_SECOND

        def new_id(m):
            return b"bm9kZTo%010d" % (int(m.group(1)) + id_shift)

        def new_time(m):
            d, h, mi, s = (int(x) for x in m.groups())
            t = (d - 1) * 86400 + h * 3600 + mi * 60 + s + sec_shift
            return b'"time":"2026-01-%02dT%02d:%02d:%02d.' % (1 + t // 86400 % 28, t // 3600 % 24, t // 60 % 60, t % 60)

        for line in base:
            if written >= total:
                break
            out.write(TIME.sub(new_time, EXEC_ID.sub(new_id, line), 1))
            written += 1
            probe.after(written, out)
        k += 1
    out.flush()
    probe.done()


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(0)

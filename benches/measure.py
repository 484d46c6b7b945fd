#!/usr/bin/env python3
"""Runs a command N times and prints wall time, CPU time and peak memory (min, median).

usage: measure.py LABEL RUNS -- COMMAND...
Output: one line, `LABEL  wall min/median  cpu min/median  peak-rss max`.
Peak memory comes from wait4's rusage, so it covers the child only.
"""
import os
import statistics
import subprocess
import sys
import time


def main() -> int:
    label, runs = sys.argv[1], int(sys.argv[2])
    cmd = sys.argv[sys.argv.index("--") + 1:]
    walls, cpus, rss = [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - start)
        cpus.append(usage.ru_utime + usage.ru_stime)
        rss.append(usage.ru_maxrss / 1024)
        code = os.waitstatus_to_exitcode(status)
        if code < 0 or code > 2:  # 1: findings, 2: input errors; both still measured
            print(f"{label}: exit {code}", file=sys.stderr)
            return 1
    print(f"{label:<38} wall {min(walls):6.2f} / {statistics.median(walls):6.2f} s"
          f"   cpu {min(cpus):6.2f} / {statistics.median(cpus):6.2f} s   peak {max(rss):7.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The editor's start-up warm-up of the numba kernels (app.main._warm_up_kernels): how long it takes and
the worst gap of a 5 ms QTimer heartbeat on the GUI thread meanwhile (goal: the editor never stalls
> 50 ms), with numba's cache as it is or, with ``--cold``, empty (the first start after an install).

``QT_QPA_PLATFORM=offscreen python -m benchmarks.warm_up [--cold]`` — one measurement per process, as the
warm-up happens once per start.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


def measure() -> str:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from app.main import _warm_up_kernels

    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    heartbeat = QTimer()
    heartbeat.timeout.connect(beat)
    heartbeat.start(5)
    thread, t0 = _warm_up_kernels(), time.perf_counter()
    result: list[str] = []

    def check() -> None:
        if not thread.is_alive():
            ordered = sorted(gaps)
            result.append(
                f"warm-up {time.perf_counter() - t0:.2f} s, worst event-loop gap {ordered[-1] * 1000:.1f} ms, "
                f"99th percentile {ordered[int(len(ordered) * 0.99)] * 1000:.1f} ms ({len(gaps)} beats)"
            )
            app.quit()

    poll = QTimer()
    poll.timeout.connect(check)
    poll.start(50)
    app.exec()
    return result[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cold", action="store_true", help="an empty numba cache (NUMBA_CACHE_DIR), as after an install")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(measure())
        return
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as cache:
        if args.cold:
            env["NUMBA_CACHE_DIR"] = cache
        done = subprocess.run([sys.executable, "-m", "benchmarks.warm_up", "--child"], env=env, check=True)
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()

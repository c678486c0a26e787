"""The editor's start-up preparation of the numba kernels (app.kernel_warm_up.prepare_kernels): how long it
delays the window, and the worst gap of a 5 ms QTimer heartbeat on the GUI thread once the window is open
and painted (goal: the editor never stalls > 50 ms; the first paint is reported apart), with numba's cache
as it is or, with ``--cold``, empty (the first start after an install: a daemon thread compiles the kernels
meanwhile; the gaps are measured until it is done).

``QT_QPA_PLATFORM=offscreen python -m benchmarks.warm_up [--cold]`` — one measurement per process, as the
preparation happens once per start.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

#: Heartbeats are counted this long after the window shows at least (and until a compiling thread is done).
WATCH_S = 2.0


def measure() -> str:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from app.kernel_warm_up import prepare_kernels
    from app.window import MainWindow

    window = MainWindow()
    t0 = time.perf_counter()
    compiling = prepare_kernels()
    before = time.perf_counter() - t0
    window.show()
    gaps: list[float] = []
    last = [time.perf_counter()]
    shown = last[0]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    heartbeat = QTimer()
    heartbeat.timeout.connect(beat)
    heartbeat.start(5)
    result: list[str] = []

    def check() -> None:
        if time.perf_counter() - shown >= WATCH_S and (compiling is None or not compiling.is_alive()):
            # The first beat waits for the window's first layout and paint (the same with or without the
            # kernels): reported apart, the stalls of the open window are the gaps after it.
            first, ordered = gaps[0], sorted(gaps[1:])
            how = "loaded from numba's cache" if compiling is None else "compiled on a daemon thread"
            result.append(
                f"kernels {how}; window delayed {before:.2f} s, first paint {first * 1000:.0f} ms; then "
                f"{time.perf_counter() - shown:.1f} s open: worst event-loop gap {ordered[-1] * 1000:.1f} ms, "
                f"99th percentile {ordered[int(len(ordered) * 0.99)] * 1000:.1f} ms ({len(ordered)} beats)"
            )
            app.quit()

    poll = QTimer()
    poll.timeout.connect(check)
    poll.start(50)
    app.exec()
    window.close()
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

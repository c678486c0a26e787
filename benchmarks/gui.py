"""Editor responsiveness on a 24 MP photo: event-loop stalls while an engine runs, brush latency.

Usage: ``python benchmarks/gui.py [--engine NAME] [--runs 5] [--strokes 5] [--segments 40]``

Builds the real :class:`app.window.MainWindow` (``QT_QPA_PLATFORM=offscreen`` unless set; settings
and the autosave folder in a temporary directory, autosave delay as in the app) and opens the
6000×4000 synthetic photo of ``benchmarks/edit.py``, saved as a JPEG, with ``MainWindow.open_path``
as a user would. Then, each after a warm-up:

1. Event-loop stalls. A ``--heartbeat-ms`` (5 ms) precise ``QTimer`` on the GUI thread records the
   gap between consecutive ticks from 0.2 s before ``MainWindow.run_engine`` (called from the event
   loop, like the Run action) until 0.2 s after ``result_shown``, while the engine fills a 5 % object
   hole (``edit.object_mask``, set with ``Document.set_mask``) in the worker ``QThread``. Per run: the
   worst gap (stall) and the median gap; each gap is also attributed to the phase it overlaps most:
   "before run" (idle baseline), "submit" (``run_engine`` on the GUI thread), "engine computes" (worker busy, GUI thread free),
   "show result" (``MainWindow._on_result``, timed by a wrapper) and "after result" (the repaint
   that follows). Printed: medians over ``--runs`` runs. The engine is ``--engine``; by default
   deepgin if its weights are found, else the slowest available engine, picked by timing one
   ``engine.pipeline.inpaint`` of each on the same photo and hole after a warm-up run, in a
   background thread like the editor's worker (printed).
   The autosave the mask change schedules is written before the heartbeat starts (its cost is
   reported in part 2).
2. Stroke latency. Brush strokes (``--brush`` px) as ``QMouseEvent``s sent with
   ``QApplication.sendEvent`` to the canvas viewport: a press, ``--segments`` moves of ``--step``
   viewport px and a release, the moves due on a 125 Hz mouse clock, ``--strokes`` strokes (after
   one warm-up stroke) at "fit" zoom and at 100 %. Timed per segment ("delivery → painted"): from
   just before ``sendEvent`` (the canvas's mouse handler runs inside it and writes the segment into
   the 24 MP mask) until the event loop, run right after, has delivered and finished the viewport's
   next paint event (scene update → viewport paint → backing-store flush); that paint is checked to
   cover the mask box the event changed. Printed: median and worst over all segments and the median
   of each stroke's worst (compared with the target); the handler part alone; the repainted area;
   and "input due → painted", which adds the time the GUI thread was still busy when the move was
   due (e.g. with an autosave ``autosave_ms`` after an edit, whose GUI-thread part — the snapshot;
   the PNG is encoded and written on the autosave thread — is listed for each one that fired).

Targets from issue #7, printed next to the figures: no event-loop stall > 50 ms while an engine
runs; a brush stroke segment appears within 16 ms on a 24 MP image.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import itertools
import math
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from edit import object_mask, synthetic_photo
from gui_probes import (
    Heartbeat,
    PaintWatch,
    Segment,
    Spans,
    StallRun,
    ms,
    overlap,
    send_mouse,
    verdict,
    wait_for,
    wait_ms,
)
from PIL import Image
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSettings, Qt, QTimer
from PySide6.QtGui import QRegion
from PySide6.QtWidgets import QApplication

from engine.pipeline import InpaintOptions, inpaint
from engine.registry import create_engine, list_specs

STALL_TARGET_MS = 50.0
SEGMENT_TARGET_MS = 16.0
MOUSE_HZ = 125.0
SETTLE_MS = 200
PHASES = ("before run", "submit", "engine computes", "show result", "after result")


def build_window(tmp: Path) -> Any:
    """The real MainWindow with throw-away settings and recovery folder, shown (offscreen)."""
    from app.settings import Settings
    from app.window import MainWindow  # after QApplication: widgets need it

    settings = Settings(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings, recovery_folder=tmp / "recovery")
    window.ask_before_close = False
    window.show()
    wait_ms(300)
    return window


def pick_engine(requested: str | None, photo: np.ndarray, mask: np.ndarray) -> tuple[str, str]:
    """(engine name, why it was chosen)."""
    if requested:
        return requested, "--engine"
    available = [s.name for s in list_specs() if s.availability()[0]]
    if "deepgin" in available:
        return "deepgin", "default (weights found)"
    times: dict[str, float] = {}

    def probe_all() -> None:
        for name in available:
            engine = create_engine(name)
            inpaint(photo, mask, engine, InpaintOptions())  # warm-up: first-run costs are not the engine's speed
            start = time.perf_counter()
            inpaint(photo, mask, engine, InpaintOptions())
            times[name] = time.perf_counter() - start

    # In a background thread like the editor's worker: on a busy machine torch ran several times
    # slower on the main thread than on another thread, which would mislead the choice.
    thread = threading.Thread(target=probe_all, name="engine-probe")
    thread.start()
    thread.join()
    slowest = max(times, key=lambda n: times[n])
    probe = ", ".join(f"{n} {t:.2f} s" for n, t in sorted(times.items(), key=lambda kv: -kv[1]))
    return slowest, f"slowest available without deepgin weights (one warm inpaint each in a thread: {probe})"


# ----------------------------------------------------------------- 1. stalls
def stall_run(window: Any, beat: Heartbeat, spans: Spans) -> StallRun:
    marks: dict[str, float] = {}
    accepted: list[bool] = []

    def submit() -> None:
        marks["submit"] = time.perf_counter()
        accepted.append(window.run_engine())
        marks["submitted"] = time.perf_counter()

    beat.start()
    wait_ms(SETTLE_MS)
    QTimer.singleShot(0, submit)
    outcome = wait_for([window.result_shown, window.worker.error, window.worker.cancelled], timeout_s=1800)
    wait_ms(SETTLE_MS)
    beat.stop()
    if not accepted or not accepted[0]:
        raise SystemExit("run_engine() did not start a job (busy, no photo or empty mask?)")
    if outcome is None or outcome[0] != 0:
        raise SystemExit(f"the engine run did not produce a result: {outcome}")
    result = outcome[1][0]
    shown = spans.named("show result", since=marks["submit"])
    show0, show1 = shown[0] if shown else (marks["submitted"], marks["submitted"])
    ticks = beat.ticks
    windows = {
        "before run": (ticks[0], marks["submit"]),
        "submit": (marks["submit"], marks["submitted"]),
        "engine computes": (marks["submitted"], show0),
        "show result": (show0, show1),
        "after result": (show1, ticks[-1]),
    }
    gaps = np.diff(np.array(ticks))
    by_phase: dict[str, float] = {}
    worst, worst_phase = 0.0, ""
    for a, b in itertools.pairwise(ticks):
        shares = {name: overlap(a, b, s, e) for name, (s, e) in windows.items()}
        phase = max(shares, key=lambda n: shares[n]) if max(shares.values()) > 0 else "idle"
        gap = ms(b - a)
        by_phase[phase] = max(by_phase.get(phase, 0.0), gap)
        if gap > worst:
            worst, worst_phase = gap, phase
    window.jobs.discard_result()
    wait_ms(50)
    return StallRun(
        worst,
        ms(float(np.median(gaps))),
        float(result.seconds),
        by_phase,
        worst_phase,
        ms(marks["submitted"] - marks["submit"]),
        ms(show1 - show0),
    )


def measure_stalls(window: Any, engine: str, mask: np.ndarray, runs: int, heartbeat_ms: int, spans: Spans) -> None:
    if not window.engine_panel.select(engine):
        raise SystemExit(f"engine {engine!r} is not available in the editor (weights missing?)")
    window.doc.set_mask(mask, "benchmark mask")
    window.autosaver.save_now()  # the autosave this edit scheduled, outside the measured window
    beat = Heartbeat(heartbeat_ms)
    stall_run(window, beat, spans)  # warm-up: loads the engine in the worker
    results = []
    for i in range(runs):
        r = stall_run(window, beat, spans)
        results.append(r)
        phases = ", ".join(f"{p} {r.by_phase.get(p, 0.0):.1f}" for p in PHASES)
        print(
            f"  run {i + 1}: engine {r.engine_s:.2f} s, median gap {r.median_gap_ms:.1f} ms, "
            f"worst {r.worst_ms:.1f} ms ({r.worst_phase}); worst by phase [ms]: {phases}"
        )

    def med(values: list[float]) -> float:
        return statistics.median(values)

    worst = med([r.worst_ms for r in results])
    print(f"  {'engine time (Result.seconds)':<44} {med([r.engine_s for r in results]):8.2f} s")
    print(f"  {'heartbeat gap, median':<44} {med([r.median_gap_ms for r in results]):8.1f} ms")
    print(f"  {'worst stall per run':<44} {worst:8.1f} ms   {verdict(worst, STALL_TARGET_MS)}")
    for phase in PHASES:
        print(f"  {'  worst gap during ' + phase:<44} {med([r.by_phase.get(phase, 0.0) for r in results]):8.1f} ms")
    print(f"  {'MainWindow.run_engine() call (GUI thread)':<44} {med([r.submit_ms for r in results]):8.1f} ms")
    print(f"  {'MainWindow._on_result() call (GUI thread)':<44} {med([r.show_ms for r in results]):8.1f} ms")
    print("  (figures: medians over the runs)")


# ----------------------------------------------------------------- 2. strokes
def stroke(window: Any, watch: PaintWatch, index: int, count: int, segments: int, step: float) -> list[Segment]:
    """One wavy left-to-right stroke across the middle of the viewport, row ``index`` of ``count``."""
    viewport = window.canvas.viewport()
    vw, vh = viewport.width(), viewport.height()
    x0 = vw / 2 - segments * step / 2
    y0 = vh * (0.3 + 0.4 * index / max(1, count - 1))
    points = [QPointF(x0 + i * step, y0 + 6 * math.sin(i / 5)) for i in range(segments + 1)]
    kinds = [QEvent.Type.MouseButtonPress] + [QEvent.Type.MouseMove] * segments + [QEvent.Type.MouseButtonRelease]
    points.append(points[-1])
    period = 1.0 / MOUSE_HZ
    out: list[Segment] = []
    changed: list[QRect] = []

    def on_changed(rect: QRect) -> None:
        changed.append(QRect(rect))

    window.doc.mask_changed.connect(on_changed)
    due = time.perf_counter()
    for kind, pos in zip(kinds, points, strict=True):
        wait_ms(ms(due - time.perf_counter()))  # the event loop runs until the move is due
        before, n_changed = watch.count, len(changed)
        t0 = time.perf_counter()
        button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
        send_mouse(viewport, kind, pos, button)
        t1 = time.perf_counter()
        painted = watch.wait_next(before)
        t2 = time.perf_counter()
        region = watch.regions[before] if painted else QRegion()
        rect = region.boundingRect()
        needed = QRegion()
        for r in changed[n_changed:]:
            box = window.canvas.mapFromScene(QRectF(r)).boundingRect().adjusted(1, 1, -1, -1)
            needed = needed.united(box.intersected(viewport.rect()))
        covered = painted and needed.subtracted(region).isEmpty()
        latency, handler, due_latency = ms(t2 - t0), ms(t1 - t0), ms(t2 - min(due, t0))
        area = rect.width() * rect.height()
        out.append(Segment(latency, handler, due_latency, area, painted, covered, min(due, t0), t2))
        due = max(due + period, t2)  # a slow segment delays the next move (no queue of stale moves)
    window.doc.mask_changed.disconnect(on_changed)
    return out


def measure_strokes(
    window: Any, zoom: str, strokes: int, segments: int, step: float, pause_ms: int, spans: Spans
) -> None:
    canvas = window.canvas
    if zoom == "fit":
        canvas.fit()
    else:
        canvas.set_zoom(float(zoom))
        w, h = window.doc.size
        canvas.centerOn(w / 2, h / 2)
    wait_ms(200)
    watch = PaintWatch(canvas.viewport())
    stroke(window, watch, 0, strokes, segments, step)  # warm-up
    wait_ms(pause_ms)
    start = time.perf_counter()
    per_stroke: list[list[Segment]] = []
    for i in range(strokes):
        per_stroke.append(stroke(window, watch, i, strokes, segments, step))
        wait_ms(pause_ms)
    canvas.viewport().removeEventFilter(watch)
    segs = [s for st in per_stroke for s in st]
    lat = [s.latency_ms for s in segs]
    worst_per_stroke = [max(s.latency_ms for s in st) for st in per_stroke]
    due = [s.due_ms for s in segs]
    vw, vh = canvas.viewport().width(), canvas.viewport().height()
    print(
        f"  zoom {zoom} ({canvas.zoom * 100:.1f} %, viewport {vw}×{vh}): {strokes} strokes × "
        f"{segments + 2} events (press, {segments} moves, release), {len(segs)} segments"
    )
    print(
        f"    delivery → painted   median {statistics.median(lat):6.1f} ms   worst {max(lat):7.1f} ms   "
        f"worst per stroke (median) {statistics.median(worst_per_stroke):6.1f} ms   "
        f"{verdict(statistics.median(worst_per_stroke), SEGMENT_TARGET_MS)}"
    )
    handler = [s.handler_ms for s in segs]
    print(f"      of which handler   median {statistics.median(handler):6.1f} ms   worst {max(handler):7.1f} ms")
    press = [st[0].latency_ms for st in per_stroke]
    release = [st[-1].latency_ms for st in per_stroke]
    moves = [s.latency_ms for st in per_stroke for s in st[1:-1]]
    print(
        f"      moves median {statistics.median(moves):.1f} / worst {max(moves):.1f} ms; "
        f"press median {statistics.median(press):.1f} ms; release median {statistics.median(release):.1f} ms"
    )
    areas = [s.area for s in segs if s.painted]
    missing = sum(not s.painted for s in segs)
    print(
        f"      repainted area median {statistics.median(areas) if areas else 0:.0f} px "
        f"({100 * (statistics.median(areas) if areas else 0) / (vw * vh):.1f} % of the viewport)"
        + (f"; {missing} segments without a paint within 2 s" if missing else "")
    )
    covered = sum(s.covered for s in segs)
    print(f"      that paint covered the mask box the event changed in {covered} of {len(segs)} segments")
    print(f"    input due → painted  median {statistics.median(due):6.1f} ms   worst {max(due):7.1f} ms")
    saves = spans.named("autosave", since=start)
    if saves:
        durations = ", ".join(f"{ms(e - s):.0f}" for s, e in saves)
        hit = sum(any(overlap(s, e, g.start, g.end) > 0 for g in segs) for s, e in saves)
        print(
            f"    autosaves (the timer's slot, 24 MP mask) while stroking or between strokes: "
            f"{len(saves)}, {durations} ms on the GUI thread; {hit} of them delayed a segment"
        )
    else:
        print("    no autosave fired while stroking or between strokes")


# ----------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", help="engine to run for the stall test (default: deepgin, else the slowest)")
    parser.add_argument("--runs", type=int, default=5, help="engine runs after the warm-up")
    parser.add_argument("--heartbeat-ms", type=int, default=5)
    parser.add_argument("--strokes", type=int, default=5, help="strokes per zoom level after a warm-up stroke")
    parser.add_argument("--segments", type=int, default=40, help="mouse moves per stroke")
    parser.add_argument("--step", type=float, default=4.0, help="viewport px between moves")
    parser.add_argument("--brush", type=int, default=100, help="brush diameter, image px")
    parser.add_argument("--pause-ms", type=int, default=300, help="event loop time between strokes")
    parser.add_argument("--zooms", default="fit,1.0", help="comma-separated: fit and/or zoom factors")
    parser.add_argument("--skip-stalls", action="store_true")
    parser.add_argument("--skip-strokes", action="store_true")
    args = parser.parse_args(argv)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"Qt platform {QApplication.platformName()}, {os.cpu_count()} cores, load average {load} "
        "(other processes share the cores: figures are pessimistic)"
    )
    photo = synthetic_photo()
    h, w = photo.shape[:2]
    mask = object_mask(h, w)
    with tempfile.TemporaryDirectory(prefix="inpaint-gui-bench-") as tmpdir:
        tmp = Path(tmpdir)
        path = tmp / "photo.jpg"
        Image.fromarray(photo).save(path, quality=92)
        engine = ""
        if not args.skip_stalls:
            engine, why = pick_engine(args.engine, photo, mask)
            print(f"stall-test engine: {engine} — {why}")
        window = build_window(tmp)
        spans = Spans()
        window.worker.result.disconnect(window.jobs._on_result)
        window.worker.result.connect(spans.wrap("show result", window.jobs._on_result))
        # The timer's slot: the GUI-thread part of an autosave (the snapshot; encoding and writing
        # run on the autosave thread). Older trees saved synchronously in save_now.
        autosave_slot = getattr(window.autosaver, "save_in_background", window.autosaver.save_now)
        window.autosaver.timer.timeout.disconnect(autosave_slot)
        window.autosaver.timer.timeout.connect(spans.wrap("autosave", autosave_slot))
        start = time.perf_counter()
        if not window.open_path(path):
            raise SystemExit(f"could not open {path}: {window.last_error}")
        opened = time.perf_counter() - start
        wait_ms(300)
        print(f"photo {w}×{h} JPEG opened with MainWindow.open_path in {opened:.2f} s (GUI thread)")
        try:
            if not args.skip_stalls:
                print(
                    f"\n1. event-loop stalls: {args.heartbeat_ms} ms heartbeat while {engine} fills a 5 % hole "
                    f"(strategy {window.engine_panel.strategy.currentData()}), {args.runs} runs after a warm-up"
                )
                measure_stalls(window, engine, mask, args.runs, args.heartbeat_ms, spans)
                window.masks.clear()
            if not args.skip_strokes:
                print(
                    f"\n2. stroke latency: brush {args.brush} px, {args.step:g} viewport px per move, moves due at "
                    f"{MOUSE_HZ:.0f} Hz, autosave {window.autosaver.timer.interval()} ms after an edit"
                )
                window.canvas.set_brush_size(args.brush)
                for zoom in args.zooms.split(","):
                    measure_strokes(window, zoom.strip(), args.strokes, args.segments, args.step, args.pause_ms, spans)
        finally:
            window.worker.cancel()
            window.close()
            app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

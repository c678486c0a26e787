"""numba kernels of the exemplar fill (engine/texture.py): PatchMatch search, voting, onion-peel start.

Arrays: ``feat`` float32 H×W×C C-contiguous, the per-pixel features patches are compared on (colour,
texture features and the learned engine's low-pass, each channel already multiplied by the square root
of its weight); ``guide`` float32 H×W×3 (onion peel only), the engine's structure, weighted by ``lam``;
``src`` float32 H×W×3 RGB, the
pixels copied; ``nnf`` int64 N×2 source patch centres per target; ``dist`` float64 N, their distances;
``index`` int32 H×W mapping a pixel to its target number (−1 = not a target); ``valid`` bool H×W,
centres of patches that may be copied. Deterministic for a seed: random choices come from a
counter-based hash (:func:`rand`), the search is a serial scan, the parallel voting is per pixel.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib.metadata
import math
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numba
import numba.core.event
import numpy as np

#: Shared-library names of TBB that numba's ``tbb`` threading layer asks for, per platform.
_TBB_LIBRARIES = {"libtbb.so.12", "libtbb.12.dylib", "tbb12.dll"}


def _prefer_tbb() -> None:
    """Run the parallel kernels on TBB, else numba's own work queue, and on OpenMP only as a last resort.

    Why: with numba's default order a machine without a system TBB gets the ``omp`` layer (GNU OpenMP,
    the copy torch loads), and there the editor's second PatchMatch fill on its worker thread never
    finished in CI; with ``NUMBA_THREADING_LAYER=omp`` it hung here once in about 40 runs of that test,
    never on TBB or the work queue. The ``tbb`` wheel is a dependency, but numba looks for ``libtbb`` by
    name only, and a virtual environment's ``lib/`` is not on the loader's path: loading the wheel's
    copy first makes that lookup find it. A user's ``NUMBA_THREADING_LAYER`` still wins (numba reads the
    priority only when no layer is named)."""
    try:
        files = importlib.metadata.files("tbb") or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.name in _TBB_LIBRARIES:
            with contextlib.suppress(OSError):  # a broken install: numba falls back to the next layer
                ctypes.CDLL(str(file.locate()), mode=ctypes.RTLD_GLOBAL)
            break
    numba.config.THREADING_LAYER_PRIORITY = ["tbb", "workqueue", "omp"]


_prefer_tbb()


class NotCached(RuntimeError):
    """A kernel would be compiled: numba's cache holds no copy for this numba, CPU and source."""


class _RefuseCompiling(numba.core.event.Listener):
    def on_start(self, event: numba.core.event.Event) -> None:
        raise NotCached(f"not in numba's cache: {event.data['dispatcher'].py_func.__name__}")

    def on_end(self, event: numba.core.event.Event) -> None:
        pass


@contextlib.contextmanager
def cached_only() -> Iterator[None]:
    """Within: a kernel numba would compile raises :class:`NotCached` instead (one in numba's cache
    still loads). Uses numba's event API ("numba:compile" starts only on a cache miss); process-wide,
    so nothing else may compile meanwhile."""
    with numba.core.event.install_listener("numba:compile", _RefuseCompiling()):
        yield


# One parallel launch at a time: numba's work queue (the fallback layer) aborts the whole process when
# two threads launch kernels at once; TBB would not need it, and the editor runs one fill at a time.
_LAUNCH = threading.Lock()


def _one_at_a_time(kernel: Callable[..., Any]) -> Callable[..., Any]:
    """``kernel`` (a parallel numba function) called under :data:`_LAUNCH`."""

    @functools.wraps(kernel)
    def launch(*args: Any) -> Any:
        with _LAUNCH:
            return kernel(*args)

    return launch


# nogil: the editor runs the fill on its worker QThread; a kernel holding the GIL would stall the
# GUI's event loop for as long as one search pass takes.
@numba.njit(cache=True, nogil=True)
def rand(seed, a, b, c):
    """A non-negative pseudo-random int64 from four counters (splitmix64 finaliser, wrapping uint64)."""
    u = numba.uint64
    z = u(seed) * u(0x9E3779B97F4A7C15) + u(a) * u(0xBF58476D1CE4E5B9) + u(b) * u(0x94D049BB133111EB) + u(c)
    z = (z ^ (z >> u(30))) * u(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> u(27))) * u(0x94D049BB133111EB)
    z = z ^ (z >> u(31))
    return numba.int64(z >> u(2))


@numba.njit(cache=True, nogil=True)
def distance(feat, ty, tx, sy, sx, r, best):
    """Sum of squared differences of the ``feat`` patches at target (ty, tx) and source (sy, sx);
    target pixels outside the image are skipped; stops past ``best`` (checked after each row)."""
    h, w, nc = feat.shape
    d = 0.0
    for dy in range(-r, r + 1):
        y = ty + dy
        if y < 0 or y >= h:
            continue
        for dx in range(-r, r + 1):
            x = tx + dx
            if x < 0 or x >= w:
                continue
            for c in range(nc):
                e = feat[y, x, c] - feat[sy + dy, sx + dx, c]
                d += e * e
        if d > best:
            return d
    return d


#: Targets are searched in this many contiguous runs (rows of the hole), in parallel: a fixed count, so
#: the result does not depend on the number of threads.
SEARCH_CHUNKS = 8


@_one_at_a_time
@numba.njit(cache=True, parallel=True, nogil=True)
def search(feat, ty, tx, index, nnf, dist, valid, r, seed, it, rounds, radius, active, cost, want, have, unit):
    """PatchMatch sweeps over the targets, in :data:`SEARCH_CHUNKS` runs processed in parallel
    (raster order on even passes, reverse on odd, within each run): propagation from the two
    neighbours already visited in the same run, then random search in windows halving around the
    best (``rounds`` = how many windows, from ``radius`` px down; 0 = propagation only).
    ``active``: bool N, the targets searched (the others keep their match and distance, and still
    propagate it), or an empty array for all. ``cost``: float32 H×W, added to the distance of a source
    centred there, or an empty array for none. ``want`` (float32 N, per target) and ``have`` (float32
    H×W, per source centre) price a pair: ``unit`` × clip(want − have, 0, 1) is added too (:func:`price`);
    an empty ``want`` for none."""
    n = ty.shape[0]
    for c in numba.prange(SEARCH_CHUNKS):
        _search_run(feat, ty, tx, index, nnf, dist, valid, r, seed, it, rounds, radius,
                    n * c // SEARCH_CHUNKS, n * (c + 1) // SEARCH_CHUNKS, active, cost, want, have, unit)  # fmt: skip


@numba.njit(cache=True, nogil=True)
def _search_run(
    feat, ty, tx, index, nnf, dist, valid, r, seed, it, rounds, radius, lo, hi, active, cost, want, have, unit
):
    h, w = valid.shape
    step = -1 if it % 2 == 0 else 1
    every = active.shape[0] == 0
    for k in range(hi - lo):
        i = lo + k if step == -1 else hi - 1 - k
        if not every and not active[i]:
            continue
        y, x = ty[i], tx[i]
        by, bx = nnf[i, 0], nnf[i, 1]
        bd = distance(feat, y, x, by, bx, r, np.inf) + price(cost, want, have, unit, i, by, bx)
        for nb in range(2):
            ny, nx = (y, x + step) if nb == 0 else (y + step, x)
            if ny < 0 or ny >= h or nx < 0 or nx >= w:
                continue
            j = index[ny, nx]
            if j < lo or j >= hi:  # not a target, or another run's (being written in parallel)
                continue
            cy, cx = nnf[j, 0] - (ny - y), nnf[j, 1] - (nx - x)
            if 0 <= cy < h and 0 <= cx < w and valid[cy, cx] and (cy != by or cx != bx):
                c0 = price(cost, want, have, unit, i, cy, cx)
                d = distance(feat, y, x, cy, cx, r, bd - c0) + c0
                if d < bd:
                    by, bx, bd = cy, cx, d
        rad = min(max(h, w), radius)
        t = 0
        while rad >= 1 and t < rounds:
            z = rand(seed, it, i, t)
            cy = by + (z % (2 * rad + 1)) - rad
            cx = bx + ((z >> 20) % (2 * rad + 1)) - rad
            t += 1
            rad //= 2
            # The current best again cannot improve on itself: skip its distance.
            if 0 <= cy < h and 0 <= cx < w and valid[cy, cx] and (cy != by or cx != bx):
                c0 = price(cost, want, have, unit, i, cy, cx)
                d = distance(feat, y, x, cy, cx, r, bd - c0) + c0
                if d < bd:
                    by, bx, bd = cy, cx, d
        nnf[i, 0], nnf[i, 1], dist[i] = by, bx, bd


@numba.njit(cache=True, nogil=True)
def price(cost, want, have, unit, t, sy, sx):
    """What a source centred at (sy, sx) adds to target ``t``'s distance: ``cost[sy, sx]`` (0 for an
    empty ``cost``) + ``unit`` × clip(``want[t]`` − ``have[sy, sx]``, 0, 1) (0 for an empty ``want``)."""
    c = cost[sy, sx] if cost.shape[0] > 0 else 0.0
    if want.shape[0] > 0:
        c += unit * min(1.0, max(0.0, want[t] - have[sy, sx]))
    return c


@numba.njit(cache=True, nogil=True)
def rescore(feat, ty, tx, nnf, dist, r):
    """``dist`` of every target's current match (after the image under it changed)."""
    for i in range(ty.shape[0]):
        dist[i] = distance(feat, ty[i], tx[i], nnf[i, 0], nnf[i, 1], r, np.inf)


@_one_at_a_time
@numba.njit(cache=True, parallel=True, nogil=True)
def vote(src, hy, hx, index, nnf, dist, r, sigma2, out, src2, out2):
    """``out[hole pixel]`` from the target patches covering it, each giving its source's pixel; the same
    for ``src2`` into ``out2`` (a second plane voted by the same patches and weights, e.g. the texture
    features; an empty float32 0×0×3 array for none). ``out`` may be ``src`` (and ``out2`` ``src2``):
    sources lie wholly outside the hole, where nothing is written.

    ``sigma2`` > 0: weighted mean, weight exp(−d / 2σ²) (Wexler et al. 2007, §3.2: a match that fits
    badly counts little). ``sigma2`` ≤ 0: the pixel of the best-fitting patch alone (no averaging:
    copies stay as sharp as the photo; Newson et al. 2014, final reconstruction)."""
    h, w, _ = src.shape
    two = src2.shape[0] > 0
    for k in numba.prange(hy.shape[0]):
        y, x = hy[k], hx[k]
        a0 = a1 = a2 = 0.0
        b0 = b1 = b2 = 0.0
        total = 0.0
        best = np.inf
        for dy in range(-r, r + 1):
            qy = y - dy
            if qy < 0 or qy >= h:
                continue
            for dx in range(-r, r + 1):
                qx = x - dx
                if qx < 0 or qx >= w:
                    continue
                j = index[qy, qx]
                if j < 0:
                    continue
                sy, sx = nnf[j, 0] + dy, nnf[j, 1] + dx
                if sigma2 > 0.0:
                    wt = math.exp(-dist[j] / (2.0 * sigma2)) + 1e-12
                    a0 += wt * src[sy, sx, 0]
                    a1 += wt * src[sy, sx, 1]
                    a2 += wt * src[sy, sx, 2]
                    if two:
                        b0 += wt * src2[sy, sx, 0]
                        b1 += wt * src2[sy, sx, 1]
                        b2 += wt * src2[sy, sx, 2]
                    total += wt
                elif dist[j] < best:
                    best = dist[j]
                    a0, a1, a2 = src[sy, sx, 0], src[sy, sx, 1], src[sy, sx, 2]
                    if two:
                        b0, b1, b2 = src2[sy, sx, 0], src2[sy, sx, 1], src2[sy, sx, 2]
                    total = 1.0
        if total > 0.0:
            out[y, x, 0], out[y, x, 1], out[y, x, 2] = a0 / total, a1 / total, a2 / total
            if two:
                out2[y, x, 0], out2[y, x, 1], out2[y, x, 2] = b0 / total, b1 / total, b2 / total


@numba.njit(cache=True, nogil=True, fastmath=True)
def _onion_source(packed, known, lam, y, x, valid_y, valid_x, r, nc, cost, want, have, unit):
    """The source centre (sy, sx) whose patch best matches the known pixels around hole pixel (y, x)
    (mean squared difference of the ``nc`` image channels over them) plus ``lam`` × the mean squared
    difference of the guide over the patch's pixels in the image, among ``valid_y``/``valid_x`` (whole
    patches in the image).

    ``packed`` float32 H×(W·(nc+3)): per pixel the ``nc`` image channels, then the guide's three. The
    target patch and a weight per value (1/known count on known channels, lam/in-image count on the guide,
    0 else) are gathered once, so each candidate row is one contiguous weighted sum (vectorised). A
    candidate is dropped as soon as its partial distance (rows so far) passes the best: the row sums are
    not negative, and a kept candidate's distance is the same sum, so the choice equals an exhaustive
    scan's."""
    h = known.shape[0]
    w = known.shape[1]
    side = 2 * r + 1
    m = nc + 3
    n = side * m
    tgt = np.zeros((side, n), np.float32)
    wt = np.zeros((side, n), np.float32)
    cnt = 0
    gcnt = 0
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            ty, tx = y + dy, x + dx
            if 0 <= ty < h and 0 <= tx < w:
                gcnt += 1
                if known[ty, tx]:
                    cnt += 1
    by, bx = valid_y[0], valid_x[0]
    if cnt == 0:
        return by, bx
    inv = np.float32(1.0 / cnt)
    ginv = np.float32(lam / gcnt)
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            ty, tx = y + dy, x + dx
            if 0 <= ty < h and 0 <= tx < w:
                k = (dx + r) * m
                for c in range(m):
                    tgt[dy + r, k + c] = packed[ty, tx * m + c]
                    wt[dy + r, k + c] = ginv if c >= nc else (inv if known[ty, tx] else np.float32(0.0))
    bd = np.inf
    priced = cost.shape[0] > 0
    wanted = have.shape[0] > 0
    for s in range(valid_y.shape[0]):
        sy, sx = valid_y[s], valid_x[s]
        a = (sx - r) * m
        d = cost[s] if priced else 0.0
        if wanted:
            d += unit * min(1.0, max(0.0, want - have[s]))
        if d >= bd:
            continue
        for row in range(side):
            py = sy - r + row
            acc = np.float32(0.0)
            for k in range(n):
                e = tgt[row, k] - packed[py, a + k]
                acc += wt[row, k] * e * e
            d += acc
            if d >= bd:
                break
        if d < bd:
            bd, by, bx = d, sy, sx
    return by, bx


@_one_at_a_time
@numba.njit(cache=True, parallel=True, nogil=True)
def onion_peel(img, known, guide, lam, valid_y, valid_x, hy, hx, layer, r, nnf, index, cost, want, have, unit):
    """Start a hole from the outside in (Newson et al. 2014, §4.3): layer by layer, each hole pixel
    takes the centre of the source patch that best matches its already known pixels (mean squared
    difference over them, plus ``lam`` × the mean squared difference of the ``guide`` patches, which
    are known everywhere), searched exhaustively among the given sources. ``img`` float32 H×W×C (the
    colour and any carried feature channels, each already weighted; all are compared and copied) and
    ``known`` bool H×W are updated in place; ``layer`` int32 per hole pixel, sorted ascending;
    ``nnf`` gets the chosen source of each hole pixel's target (``index``). The pixels of one layer
    read only pixels known before it, so they are searched in parallel and the result does not
    depend on the number of threads. ``cost``: float32 per source, added to its (mean) distance, or
    an empty array for none; ``want`` (float32 per hole pixel) and ``have`` (float32 per source) add
    ``unit`` × clip(want − have, 0, 1) to a pair's, or are empty for none."""
    h, w, nc = img.shape
    m = nc + 3
    n = hy.shape[0]
    packed = np.empty((h, w * m), np.float32)
    for y in range(h):
        for x in range(w):
            for c in range(nc):
                packed[y, x * m + c] = img[y, x, c]
            for c in range(3):
                packed[y, x * m + nc + c] = guide[y, x, c] if lam > 0.0 else 0.0
    pick = np.zeros((n, 2), np.int64)
    start = 0
    while start < n:
        stop = start
        while stop < n and layer[stop] == layer[start]:
            stop += 1
        for k in numba.prange(start, stop):
            wk = want[k] if want.shape[0] > 0 else 0.0
            pick[k, 0], pick[k, 1] = _onion_source(
                packed, known, lam, hy[k], hx[k], valid_y, valid_x, r, nc, cost, wk, have, unit
            )
        for k in range(start, stop):
            y, x, by, bx = hy[k], hx[k], pick[k, 0], pick[k, 1]
            for c in range(nc):
                img[y, x, c] = img[by, bx, c]
                packed[y, x * m + c] = img[by, bx, c]
            known[y, x] = True
            j = index[y, x]
            if j >= 0:
                nnf[j, 0], nnf[j, 1] = by, bx
        start = stop

"""numba kernels of the texture stage (engine/texture.py): PatchMatch search and voting.

Arrays: images float32 H×W×3 (any range, RGB), ``nnf`` int64 N×2 source patch centres per target,
``index`` int64 H×W mapping a pixel to its target number (−1 = not a target). Deterministic for a
seed: random choices come from a counter-based hash (:func:`rand`), the search is a serial scan, the
parallel voting is per pixel.
"""

from __future__ import annotations

import numba
import numpy as np


# nogil: the editor runs this stage on its worker QThread; a kernel holding the GIL would stall the
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
def distance(img, guide, lam, ty, tx, sy, sx, r, best):
    """Sum of squared differences of the patches at target (ty, tx) and source (sy, sx), plus
    ``lam`` × that of ``guide``; target pixels outside the image are skipped; stops past ``best``."""
    h, w, _ = img.shape
    d = 0.0
    for dy in range(-r, r + 1):
        y = ty + dy
        if y < 0 or y >= h:
            continue
        for dx in range(-r, r + 1):
            x = tx + dx
            if x < 0 or x >= w:
                continue
            for c in range(3):
                e = img[y, x, c] - img[sy + dy, sx + dx, c]
                d += e * e
            if lam > 0.0:
                for c in range(3):
                    e = guide[y, x, c] - guide[sy + dy, sx + dx, c]
                    d += lam * e * e
        if d > best:
            return d
    return d


@numba.njit(cache=True, nogil=True)
def search(img, guide, lam, ty, tx, index, nnf, dist, valid, r, seed, it):
    """One PatchMatch sweep (raster order on even ``it``, reverse on odd) over the targets."""
    h, w = valid.shape
    n = ty.shape[0]
    step = -1 if it % 2 == 0 else 1
    for k in range(n):
        i = k if step == -1 else n - 1 - k
        y, x = ty[i], tx[i]
        by, bx = nnf[i, 0], nnf[i, 1]
        bd = distance(img, guide, lam, y, x, by, bx, r, np.inf)
        for nb in range(2):  # propagation from the neighbours this sweep has already visited
            ny, nx = (y, x + step) if nb == 0 else (y + step, x)
            if ny < 0 or ny >= h or nx < 0 or nx >= w:
                continue
            j = index[ny, nx]
            if j < 0:
                continue
            cy, cx = nnf[j, 0] - (ny - y), nnf[j, 1] - (nx - x)
            if 0 <= cy < h and 0 <= cx < w and valid[cy, cx] and (cy != by or cx != bx):
                d = distance(img, guide, lam, y, x, cy, cx, r, bd)
                if d < bd:
                    by, bx, bd = cy, cx, d
        rad = max(h, w)
        t = 0
        while rad >= 1:  # random search in windows halving around the best match
            z = rand(seed, it, i, t)
            cy = by + (z % (2 * rad + 1)) - rad
            cx = bx + ((z >> 20) % (2 * rad + 1)) - rad
            t += 1
            rad //= 2
            if 0 <= cy < h and 0 <= cx < w and valid[cy, cx]:
                d = distance(img, guide, lam, y, x, cy, cx, r, bd)
                if d < bd:
                    by, bx, bd = cy, cx, d
        nnf[i, 0], nnf[i, 1], dist[i] = by, bx, bd


@numba.njit(cache=True, parallel=True, nogil=True)
def vote(src, hy, hx, index, nnf, r, out):
    """``out[hole pixel]`` = mean over the target patches covering it of their source's pixel."""
    h, w, _ = src.shape
    for k in numba.prange(hy.shape[0]):
        y, x = hy[k], hx[k]
        a0 = a1 = a2 = 0.0
        cnt = 0
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
                a0 += src[sy, sx, 0]
                a1 += src[sy, sx, 1]
                a2 += src[sy, sx, 2]
                cnt += 1
        if cnt:
            out[y, x, 0], out[y, x, 1], out[y, x, 2] = a0 / cnt, a1 / cnt, a2 / cnt


@numba.njit(cache=True, parallel=True, nogil=True)
def vote_full(src, known, hy, hx, index, nnf, scale_y, scale_x, r, out):
    """Full-resolution vote: each hole pixel averages ``src`` at its own position shifted by the
    offsets of the (2r+1)² nearest working-resolution targets (scaled); only known sources count."""
    big_h, big_w, _ = src.shape
    h, w = index.shape
    for k in numba.prange(hy.shape[0]):
        y, x = hy[k], hx[k]
        qy0 = int((y + 0.5) / scale_y)
        qx0 = int((x + 0.5) / scale_x)
        a0 = a1 = a2 = 0.0
        cnt = 0
        for dy in range(-r, r + 1):
            qy = qy0 + dy
            if qy < 0 or qy >= h:
                continue
            for dx in range(-r, r + 1):
                qx = qx0 + dx
                if qx < 0 or qx >= w:
                    continue
                j = index[qy, qx]
                if j < 0:
                    continue
                sy = int(y + (nnf[j, 0] - qy) * scale_y + 0.5)
                sx = int(x + (nnf[j, 1] - qx) * scale_x + 0.5)
                if sy < 0 or sy >= big_h or sx < 0 or sx >= big_w or not known[sy, sx]:
                    continue
                a0 += src[sy, sx, 0]
                a1 += src[sy, sx, 1]
                a2 += src[sy, sx, 2]
                cnt += 1
        if cnt:
            out[y, x, 0], out[y, x, 1], out[y, x, 2] = a0 / cnt, a1 / cnt, a2 / cnt

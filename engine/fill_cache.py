"""The last few fills of the learned engines, reused when the same engine is asked the same again.

Variations of a run (``inpaint run --variations N``, the editor's *More variations*) differ only in the
exemplar completion's seed: the network's fill of each box — its Navier–Stokes prefill and forward,
0.3–0.9 s on a 512² crop, seconds on a large photo — is the same every time. :func:`cached_fill` returns
it from memory when the engine object, the padded tile, its mask and the engine options are identical
(compared by content: a BLAKE2 digest of every array), else calls :meth:`Engine.fill` and keeps the result.

Only learned engines are kept (classical fills cost less than the digest is worth, and ``patchmatch``
depends on its seed). At most :data:`BUDGET_BYTES` are held, least recently used dropped first; an entry
dies with its engine (the key holds a weak reference). A hit returns copies, so a caller that edits the
result (the pipeline crops alpha maps in place) never changes what the next hit returns.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from engine.registry import Engine, FillOutput

#: Most bytes of cached fills (images, prefills, extras' arrays) held at once.
BUDGET_BYTES = 256 << 20

_CACHE: OrderedDict[tuple[Any, ...], FillOutput] = OrderedDict()
_SIZES: dict[tuple[Any, ...], int] = {}
# Re-entrant: an engine's last reference can go (and _forget run) while this thread holds the lock.
_LOCK = threading.RLock()


def _digest(a: np.ndarray) -> tuple[Any, ...]:
    return (a.shape, a.dtype.str, hashlib.blake2b(np.ascontiguousarray(a).data, digest_size=16).digest())


def _option_key(options: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(
        (k, _digest(v) if isinstance(v, np.ndarray) else repr(v))
        for k, v in sorted(options.items(), key=lambda kv: kv[0])
    )


def _nbytes(out: FillOutput) -> int:
    arrays = [out.image, out.base, *(v for v in out.extras.values() if isinstance(v, np.ndarray))]
    arrays += [m for v in out.extras.values() if isinstance(v, list) for m in v if isinstance(m, np.ndarray)]
    return sum(a.nbytes for a in arrays if a is not None)


def _copy(out: FillOutput) -> FillOutput:
    extras = {k: ([m.copy() for m in v] if isinstance(v, list) else v) for k, v in out.extras.items()}
    return FillOutput(out.image.copy(), extras, None if out.base is None else out.base.copy())


def cached_fill(engine: Engine, image: np.ndarray, mask: np.ndarray, options: Mapping[str, Any]) -> FillOutput:
    """``engine.fill(image, mask, options)``, from memory when a learned engine got the same before."""
    if not engine.spec.learned:
        return engine.fill(image, mask, options)
    key = (weakref.ref(engine, _forget), _digest(image), _digest(mask), _option_key(options))
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return _copy(hit)
    out = engine.fill(image, mask, options)
    size = _nbytes(out)
    if size <= BUDGET_BYTES:
        with _LOCK:
            _CACHE[key], _SIZES[key] = _copy(out), size
            while sum(_SIZES.values()) > BUDGET_BYTES:
                old, _ = _CACHE.popitem(last=False)
                del _SIZES[old]
    return out


def _forget(ref: weakref.ref) -> None:
    """Drop the entries of an engine that no longer exists (called by its weak reference)."""
    with _LOCK:
        for key in [k for k in _CACHE if k[0] is ref]:
            del _CACHE[key], _SIZES[key]


def clear() -> None:
    """Forget every cached fill."""
    with _LOCK:
        _CACHE.clear()
        _SIZES.clear()

"""Run logs: CSV (always), TensorBoard event files (hand-written encoder), PNG loss curves and grids.

TensorBoard's on-disk format is a sequence of records ``uint64 length | uint32 masked_crc32c(length)
| data | uint32 masked_crc32c(data)`` whose data are ``Event`` protobufs; scalars are
``Event{wall_time=1, step=2, summary=5{value=1{tag=1, simple_value=2}}}``. Encoding those few fields
by hand avoids a tensorboard/protobuf dependency.
"""

from __future__ import annotations

import csv
import math
import socket
import struct
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

# --- crc32c (Castagnoli), table driven ---------------------------------------------------------------
_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field_bytes(num: int, payload: bytes) -> bytes:
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def encode_event(
    wall_time: float, step: int, scalars: Mapping[str, float] | None = None, version: str | None = None
) -> bytes:
    """Serialise one Event protobuf (scalars as simple_value summaries, or the file_version header)."""
    msg = _varint(1 << 3 | 1) + struct.pack("<d", wall_time) + _varint(2 << 3 | 0) + _varint(step)
    if version is not None:
        msg += _field_bytes(3, version.encode())
    if scalars:
        values = b"".join(
            _field_bytes(1, _field_bytes(1, tag.encode()) + _varint(2 << 3 | 5) + struct.pack("<f", float(v)))
            for tag, v in scalars.items()
        )
        msg += _field_bytes(5, values)
    return msg


def frame_record(data: bytes) -> bytes:
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", masked_crc(header)) + data + struct.pack("<I", masked_crc(data))


def read_records(path: str | Path) -> list[bytes]:
    """Record payloads of an event file, verifying both CRCs (for tests and tools)."""
    raw = Path(path).read_bytes()
    out: list[bytes] = []
    pos = 0
    while pos < len(raw):
        header = raw[pos : pos + 8]
        (n,) = struct.unpack("<Q", header)
        if struct.unpack("<I", raw[pos + 8 : pos + 12])[0] != masked_crc(header):
            raise ValueError("bad length crc")
        data = raw[pos + 12 : pos + 12 + n]
        if struct.unpack("<I", raw[pos + 12 + n : pos + 16 + n])[0] != masked_crc(data):
            raise ValueError("bad data crc")
        out.append(data)
        pos += 16 + n
    return out


class EventWriter:
    """Append-only TensorBoard scalar writer (``events.out.tfevents.<time>.<host>`` in ``folder``)."""

    def __init__(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}"
        self._fh = self.path.open("ab")
        self._fh.write(frame_record(encode_event(time.time(), 0, version="brain.Event:2")))
        self._fh.flush()

    def scalars(self, step: int, values: Mapping[str, float]) -> None:
        finite = {k: float(v) for k, v in values.items() if v is not None and math.isfinite(float(v))}
        if finite:
            self._fh.write(frame_record(encode_event(time.time(), step, finite)))
            self._fh.flush()

    def close(self) -> None:
        self._fh.close()


class CSVLog:
    """CSV with a fixed header; on resume, rows after the resumed step are dropped (they will be redone)."""

    def __init__(self, path: str | Path, columns: Sequence[str], resume_step: int | None = None) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        rows: list[dict[str, str]] = []
        if resume_step is not None and self.path.is_file():
            with self.path.open(newline="") as fh:
                rows = [r for r in csv.DictReader(fh) if int(float(r.get("step") or 0)) <= resume_step]
        with self.path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, self.columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)

    def write(self, row: Mapping[str, object]) -> None:
        with self.path.open("a", newline="") as fh:
            csv.DictWriter(fh, self.columns, extrasaction="ignore").writerow(
                {k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()}
            )


def read_csv(path: str | Path) -> list[dict[str, str]]:
    with Path(path).open(newline="") as fh:
        return list(csv.DictReader(fh))


_COLOURS = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
]


def plot_curves(
    series: Mapping[str, Sequence[tuple[float, float]]],
    path: str | Path,
    title: str = "",
    log_y: bool = True,
    size: tuple[int, int] = (900, 500),
) -> None:
    """Line plot (cv2) of named (x, y) series to a PNG; log10 y axis for losses. Empty series are skipped."""
    w, h = size
    left, right, top, bottom = 70, 190, 30, 40
    img = np.full((h, w, 3), 255, np.uint8)
    pts_all = [(x, y) for s in series.values() for x, y in s if math.isfinite(y) and (y > 0 or not log_y)]
    cv2.putText(img, title, (left, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.rectangle(img, (left, top), (w - right, h - bottom), (0, 0, 0), 1)
    if pts_all:
        tf = (lambda v: math.log10(v)) if log_y else (lambda v: v)
        xs = [p[0] for p in pts_all]
        ys = [tf(p[1]) for p in pts_all]
        x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
        y0, y1 = min(ys), max(ys) if max(ys) > min(ys) else min(ys) + 1

        def to_px(x: float, y: float) -> tuple[int, int]:
            px = left + (x - x0) / (x1 - x0) * (w - left - right)
            py = h - bottom - (tf(y) - y0) / (y1 - y0) * (h - top - bottom)
            return round(px), round(py)

        for i, frac in enumerate(np.linspace(0, 1, 5)):
            yv = y0 + frac * (y1 - y0)
            py = round(h - bottom - frac * (h - top - bottom))
            label = f"{10**yv:.3g}" if log_y else f"{yv:.3g}"
            cv2.putText(img, label, (2, py + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
            xv = x0 + frac * (x1 - x0)
            px = round(left + frac * (w - left - right))
            cv2.putText(
                img, f"{xv:.0f}", (px - 10, h - bottom + 15), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1, cv2.LINE_AA
            )
            if 0 < i < 4:
                cv2.line(img, (left, py), (w - right, py), (230, 230, 230), 1)
        for k, (name, s) in enumerate(series.items()):
            colour = _COLOURS[k % len(_COLOURS)][::-1]
            pts = [to_px(x, y) for x, y in s if math.isfinite(y) and (y > 0 or not log_y)]
            if len(pts) > 1:
                cv2.polylines(img, [np.array(pts, np.int32)], False, colour, 1, cv2.LINE_AA)
            elif pts:
                cv2.circle(img, pts[0], 2, colour, -1)
            cv2.putText(
                img,
                name[:24],
                (w - right + 8, top + 15 + 16 * k),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.4,
                colour,
                1,
                cv2.LINE_AA,
            )
    cv2.imwrite(str(path), img[:, :, ::-1].copy())


def save_grid(rows: Sequence[Sequence[np.ndarray]], path: str | Path, pad: int = 2) -> None:
    """PNG of a grid of uint8 H×W×3 RGB tiles (all the same size), white padding."""
    th, tw = rows[0][0].shape[:2]
    ncol = max(len(r) for r in rows)
    grid = np.full((len(rows) * (th + pad) + pad, ncol * (tw + pad) + pad, 3), 255, np.uint8)
    for i, row in enumerate(rows):
        for j, tile in enumerate(row):
            y, x = pad + i * (th + pad), pad + j * (tw + pad)
            grid[y : y + th, x : x + tw] = tile
    cv2.imwrite(str(path), grid[:, :, ::-1].copy())

"""PNG bytes from RGBA pixels, fast enough to send a sharp picture per key press.

Pillow chooses a filter for every row, which at 2× pixel density costs 15–20 ms a
figure; here every row gets the PNG "Up" filter (the difference to the row above,
one numpy subtraction) and zlib's fastest level. A figure is mostly flat colour, so
that compresses about as well, three times faster; zlib-ng, when installed, deflates
the same format four times faster again than the standard zlib on these pictures.
The pixels stay RGBA as drawn: dropping the alpha (a constant, which the filter
turns into zeros) costs a strided copy that takes longer than compressing the zeros.

A `PngStream` encodes one figure's successive pictures, and a move costs what it
changed: the rows are deflated in bands of 16, each band ending on a byte boundary (a
sync flush), so the bands join into one valid zlib stream the way pigz joins its
pieces, and the stream's checksum is combined from the bands' own. A band whose rows
(and the row above its first, which the Up filter reads) are as they were keeps its
compressed bytes; only changed bands are filtered and deflated again, on two threads
when there is enough of them (both zlibs let go of Python's lock while they work).
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

try:  # zlib-ng: the same deflate format, four times faster here (requirements.txt has it)
    from zlib_ng import zlib_ng as _zlib
except ImportError:  # the standard zlib: the same pictures, encoded slower
    _zlib = zlib

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_UP = 2  # PNG filter type: each byte minus the byte above it
_LEVEL = 1  # zlib's fastest
_BAND_ROWS = 16  # rows deflated together: small enough to skip, large enough to compress
_SPLIT_FROM = 256 * 1024  # bytes to deflate: below this, one thread is quicker than two
_ZLIB_HEADER = b"\x78\x01"  # deflate, 32 KB window, fastest level (the check bits fit)
_LAST_BLOCK = b"\x03\x00"  # an empty final block (fixed Huffman): ends the deflate stream
_ADLER_BASE = 65521
_pool: ThreadPoolExecutor | None = None
_TWO_CORES = (os.cpu_count() or 1) >= 2  # asked once: it reads the system each time
_in_pool = threading.local()  # .yes in the pool's threads: they do not split their work


def _the_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:  # two: one picture encoded aside while the next one is split in two
        _pool = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="dlviz-png", initializer=_mark_pool_thread
        )
    return _pool


def _mark_pool_thread() -> None:
    _in_pool.yes = True


def encode_aside(stream: PngStream, pixels: np.ndarray) -> Future:
    """`stream.encode(pixels)` on another thread (a Future of the bytes), so the caller
    can draw the next picture meanwhile; on one core, encoded here and now. The caller
    leaves `pixels` as they are until the Future is done."""
    if not _TWO_CORES:
        done: Future = Future()
        done.set_result(stream.encode(pixels))
        return done
    return _the_pool().submit(stream.encode, pixels)


def _checked(pixels) -> np.ndarray:
    pixels = np.asarray(pixels)
    if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.dtype != np.uint8:
        got = f"{pixels.shape} {pixels.dtype}"
        raise ValueError(f"pixels must be (height, width, 4) uint8; got {got}")
    return pixels


def adler32_combine(first: int, second: int, second_length: int) -> int:
    """The Adler-32 of two byte strings joined, from each one's and the second's length
    (zlib's `adler32_combine`, which Python's zlib module does not offer)."""
    a = ((first & 0xFFFF) + (second & 0xFFFF) - 1) % _ADLER_BASE
    b = ((first >> 16) + (second >> 16) + second_length * ((first & 0xFFFF) - 1)) % _ADLER_BASE
    return (b << 16) | a


def _band(rows: np.ndarray, raw: np.ndarray, start: int, stop: int) -> tuple[bytes, int, int]:
    """Rows start..stop-1 of (height, width*4) `rows`, Up-filtered into the same rows of
    `raw` (height, width*4 + 1; its first column already holds the filter byte) and
    deflated: the bytes (ending on a byte boundary, not final), their Adler-32, length."""
    first = start
    if start == 0:
        raw[0, 1:] = rows[0]  # the row above the first is taken as zeros
        first = 1
    # uint8 wraps modulo 256, as PNG says
    np.subtract(rows[first:stop], rows[first - 1 : stop - 1], out=raw[first:stop, 1:])
    data = memoryview(raw[start:stop].reshape(-1))
    compressor = _zlib.compressobj(_LEVEL, _zlib.DEFLATED, -15)  # raw deflate: no header
    deflated = compressor.compress(data) + compressor.flush(_zlib.Z_SYNC_FLUSH)
    return deflated, _zlib.adler32(data), len(data)


class PngStream:
    """Encodes the successive pictures of one figure, each costing what changed.

    `encode(pixels)` gives the PNG bytes of `pixels`; when they are the pixels of the
    last call, the same bytes object is handed back. Whatever came before, the bytes
    are those a fresh `PngStream` would give for these pixels.
    """

    def __init__(self):
        self._pixels: np.ndarray | None = None  # a copy of the last picture
        self._raw: np.ndarray | None = None  # its rows Up-filtered, as PNG stores them
        self._bands: list = []  # per band of rows: (deflated, adler32, length)
        self._png = b""

    def encode(self, pixels) -> bytes:
        pixels = _checked(pixels)
        height, width, _ = pixels.shape
        rows = pixels.reshape(height, width * 4)
        count = -(-height // _BAND_ROWS)
        if self._pixels is None or self._pixels.shape != pixels.shape:
            self._pixels = np.empty_like(pixels)
            self._raw = np.empty((height, width * 4 + 1), np.uint8)
            self._raw[:, 0] = _UP  # the filter byte that starts each row
            self._bands = [None] * count
            todo = list(range(count))
        else:
            todo = self._changed_bands(rows)
            if not todo:
                return self._png
        self._deflate(rows, todo)
        adler = 1
        for _, band_adler, length in self._bands:
            adler = adler32_combine(adler, band_adler, length)
        idat = b"".join(
            [_ZLIB_HEADER, *(band[0] for band in self._bands), _LAST_BLOCK]
        ) + struct.pack(">I", adler)
        header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 6: RGB + alpha
        self._png = b"".join(
            [_SIGNATURE, _chunk(b"IHDR", header), _chunk(b"IDAT", idat), _chunk(b"IEND", b"")]
        )
        return self._png

    def _changed_bands(self, rows: np.ndarray) -> list[int]:
        """The bands to deflate again (`_deflate` brings their rows of the copy up to date)."""
        height = rows.shape[0]
        kept = self._pixels.reshape(height, -1)
        if rows.shape[1] % 8 == 0:  # compared 8 bytes at a time
            changed = (rows.view(np.uint64) != kept.view(np.uint64)).any(axis=1)
        else:
            changed = (rows != kept).any(axis=1)
        if not changed.any():
            return []
        dirty = changed.copy()
        dirty[1:] |= changed[:-1]  # the Up filter reads the row above
        padded = np.zeros(len(self._bands) * _BAND_ROWS, bool)
        padded[:height] = dirty
        return np.flatnonzero(padded.reshape(-1, _BAND_ROWS).any(axis=1)).tolist()

    def _deflate(self, rows: np.ndarray, todo: list[int]) -> None:
        height = rows.shape[0]
        kept, raw = self._pixels.reshape(height, -1), self._raw

        def work(bands):
            for i in bands:
                start = i * _BAND_ROWS
                stop = min(height, start + _BAND_ROWS)
                kept[start:stop] = rows[start:stop]
                self._bands[i] = _band(rows, raw, start, stop)

        small = len(todo) * _BAND_ROWS * rows.shape[1] < _SPLIT_FROM
        if small or not _TWO_CORES or getattr(_in_pool, "yes", False):
            work(todo)  # (a pool thread waiting on the pool could wait for itself)
            return
        other = _the_pool().submit(work, todo[1::2])
        work(todo[::2])
        other.result()

    def clear(self) -> None:
        """Forget the last picture (and free its copy)."""
        self._pixels, self._raw, self._bands, self._png = None, None, [], b""


def _chunk(tag: bytes, data: bytes) -> bytes:
    crc = _zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def encode_png(pixels) -> bytes:
    """PNG bytes of `pixels` (height, width, 4) uint8 RGBA."""
    return PngStream().encode(pixels)

"""PNG bytes from an RGBA pixel array, fast enough to send a sharp picture per key press.

Pillow chooses a filter for every row, which at 2× pixel density costs 15–20 ms a
figure; here every row gets the PNG "Up" filter (the difference to the row above,
one numpy subtraction) and zlib's fastest level. A figure is mostly flat colour, so
that compresses about as well, three times faster. An opaque picture is written as
RGB, a quarter less to compress.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_UP = 2  # PNG filter type: each byte minus the byte above it


def _chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def encode_png(pixels: np.ndarray, *, opaque: bool) -> bytes:
    """PNG bytes of `pixels` (height, width, 4) uint8 RGBA; `opaque` drops the alpha."""
    pixels = np.asarray(pixels)
    if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.dtype != np.uint8:
        got = f"{pixels.shape} {pixels.dtype}"
        raise ValueError(f"pixels must be (height, width, 4) uint8; got {got}")
    height, width, _ = pixels.shape
    channels = 3 if opaque else 4
    rows = pixels[:, :, :channels].reshape(height, width * channels)  # (height, width·channels)
    raw = np.empty((height, width * channels + 1), np.uint8)  # a filter byte, then the row
    raw[:, 0] = _UP
    raw[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=raw[1:, 1:])  # uint8 wraps modulo 256, as PNG says
    colour_type = 2 if opaque else 6  # truecolour, or truecolour with alpha
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        _SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw.tobytes(), 1))
        + _chunk(b"IEND", b"")
    )

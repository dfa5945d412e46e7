"""dlviz.plots._png: fast PNG bytes that decode to exactly the pixels given."""

from __future__ import annotations

import io

import numpy as np
import PIL.Image
import pytest

from dlviz.plots import AttentionHeatmap
from dlviz.plots._png import encode_png


@pytest.mark.parametrize("opaque", [True, False])
def test_png_decodes_to_the_same_pixels(opaque):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    if opaque:
        pixels[..., 3] = 255
    decoded = np.asarray(PIL.Image.open(io.BytesIO(encode_png(pixels))))
    assert decoded.shape == (37, 53, 4)
    np.testing.assert_array_equal(decoded, pixels)


@pytest.mark.parametrize("height", [1, 2, 301, 700])
def test_a_large_picture_compressed_on_two_threads_decodes_the_same(height):
    # Deflated in bands of rows joined into one stream, on two threads past _SPLIT_FROM.
    rng = np.random.default_rng(height)
    pixels = np.repeat(rng.integers(0, 256, size=(height, 1, 4), dtype=np.uint8), 900, axis=1)
    pixels[::7, ::3] = rng.integers(0, 256, size=4, dtype=np.uint8)
    data = encode_png(pixels)
    assert PIL.Image.open(io.BytesIO(data)).size == (900, height)
    np.testing.assert_array_equal(np.asarray(PIL.Image.open(io.BytesIO(data))), pixels)


def test_adler32_combine_is_the_checksum_of_the_joined_bytes():
    import zlib

    from dlviz.plots._png import adler32_combine

    rng = np.random.default_rng(2)
    for n1, n2 in [(0, 0), (0, 5), (7, 0), (1000, 777), (70_000, 140_000), (3, 65_521)]:
        one = rng.integers(0, 256, n1, dtype=np.uint8).tobytes()
        two = rng.integers(0, 256, n2, dtype=np.uint8).tobytes()
        assert adler32_combine(zlib.adler32(one), zlib.adler32(two), n2) == zlib.adler32(one + two)


def _picture(height, width, seed=0):
    rng = np.random.default_rng(seed)
    pixels = np.repeat(rng.integers(0, 256, size=(height, 1, 4), dtype=np.uint8), width, axis=1)
    pixels[::5, ::7] = rng.integers(0, 256, size=4, dtype=np.uint8)
    return pixels


@pytest.mark.parametrize("width", [900, 333])  # 333: rows not a multiple of 8 bytes
def test_a_stream_deflates_again_only_the_bands_a_change_touches(monkeypatch, width):
    from dlviz.plots import _png

    deflated = []
    band = _png._band
    monkeypatch.setattr(
        _png,
        "_band",
        lambda rows, raw, start, stop: deflated.append(start) or band(rows, raw, start, stop),
    )
    stream = _png.PngStream()
    pixels = _picture(300, width)
    first = stream.encode(pixels)
    rows = _png._BAND_ROWS
    assert sorted(deflated) == list(range(0, 300, rows))  # every band, the first time
    deflated.clear()
    assert stream.encode(pixels.copy()) is first and deflated == []  # the same pixels
    for row, bands in [(40, [32]), (rows * 3 - 1, [rows * 2, rows * 3]), (299, [288])]:
        # A row's band, and the next band when it is a band's last row (the Up filter
        # reads the row above); the last row of the picture has no band after it.
        changed = pixels.copy()
        changed[row, width // 2] ^= 0xFF
        deflated.clear()
        data = stream.encode(changed)
        assert sorted(deflated) == bands, row
        np.testing.assert_array_equal(np.asarray(PIL.Image.open(io.BytesIO(data))), changed)
        assert data == encode_png(changed)  # the bytes a fresh encoding gives
        pixels = changed


def test_a_stream_follows_a_picture_that_changes_size():
    from dlviz.plots._png import PngStream

    stream = PngStream()
    for height, width in [(40, 50), (41, 50), (41, 49), (1, 1), (41, 49)]:
        pixels = _picture(height, width, seed=height + width)
        data = stream.encode(pixels)
        np.testing.assert_array_equal(np.asarray(PIL.Image.open(io.BytesIO(data))), pixels)
    stream.clear()
    assert stream.encode(pixels) == encode_png(pixels)


def test_png_refuses_what_is_not_rgba_bytes():
    with pytest.raises(ValueError, match=r"\(height, width, 4\) uint8; got \(2, 2, 3\)"):
        encode_png(np.zeros((2, 2, 3), np.uint8))


def test_figures_are_drawn_at_twice_the_density_they_are_shown_at():
    from dlviz import examples, self_attention

    heatmap = AttentionHeatmap(self_attention(**examples.attention_exercise()))
    data, meta = heatmap._repr_mimebundle_()
    shown_w, shown_h = meta["image/png"]["width"], meta["image/png"]["height"]
    image = PIL.Image.open(io.BytesIO(data["image/png"]))
    assert image.size == (2 * shown_w, 2 * shown_h)
    assert heatmap.css_size == (shown_w, shown_h)


def test_without_zlib_ng_the_standard_zlib_gives_a_valid_png_of_the_same_pixels(monkeypatch):
    import zlib

    from dlviz.plots import _png

    pixels = _picture(70, 90, seed=3)
    monkeypatch.setattr(_png, "_zlib", zlib)
    data = encode_png(pixels)
    np.testing.assert_array_equal(np.asarray(PIL.Image.open(io.BytesIO(data))), pixels)
    assert zlib.decompress(data[data.index(b"IDAT") + 4 : -16])  # one valid zlib stream


def test_zlib_ng_is_used_when_installed():
    zlib_ng = pytest.importorskip("zlib_ng.zlib_ng")
    from dlviz.plots import _png

    assert _png._zlib is zlib_ng


def test_pictures_encoded_aside_at_once_give_the_bytes_of_a_fresh_encoding():
    # Several streams encoding on the pool at once, each splitting nothing (a pool
    # thread that waited on the pool could wait for itself), while this thread encodes
    # a large picture in two halves on the same pool.
    from dlviz.plots._png import PngStream, encode_aside

    pictures = [_picture(700, 900, seed) for seed in range(4)]
    streams = [PngStream() for _ in pictures]
    for _ in range(2):  # fresh pictures, then every row changed
        futures = [encode_aside(s, p) for s, p in zip(streams, pictures, strict=True)]
        here = PngStream().encode(pictures[0])
        for future, pixels in zip(futures, pictures, strict=True):
            assert future.result(timeout=30) == encode_png(pixels)
        assert here == encode_png(pictures[0])
        pictures = [p[::-1].copy() for p in pictures]


def test_a_figure_encoded_aside_waits_before_it_draws_again_and_gives_fresh_bytes():
    from dlviz.plots.base import Heatmap

    def heatmap(values):
        return Heatmap(values, rows=["a", "b", "c"], cols=["x", "y", "z"])

    weights = np.full((3, 3), 1 / 3)
    plot = heatmap(weights)
    first = plot.png_aside()
    plot.update(np.eye(3))
    second = plot.png_aside()  # drawing again first waits for `first`'s pixels
    assert first.result() == encode_png(np.asarray(heatmap(weights).render()))
    assert second.result() == plot.png() == encode_png(np.asarray(heatmap(np.eye(3)).render()))
    assert plot.png_aside().result() is plot.png()  # nothing changed: the same bytes
    plot.update(weights)
    pending = plot.png_aside()
    plot.close()  # waits for the encoding before it frees the figure
    assert pending.result() == first.result()

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
    # Past _SPLIT_FROM bytes the stream is deflated in two halves joined as one.
    rng = np.random.default_rng(height)
    pixels = np.repeat(rng.integers(0, 256, size=(height, 1, 4), dtype=np.uint8), 900, axis=1)
    pixels[::7, ::3] = rng.integers(0, 256, size=4, dtype=np.uint8)
    data = encode_png(pixels)
    assert PIL.Image.open(io.BytesIO(data)).size == (900, height)
    np.testing.assert_array_equal(np.asarray(PIL.Image.open(io.BytesIO(data))), pixels)


def test_the_two_thread_deflate_is_one_valid_zlib_stream():
    import zlib

    from dlviz.plots._png import _SPLIT_FROM, _deflate

    data = np.random.default_rng(1).integers(0, 3, size=3 * _SPLIT_FROM, dtype=np.uint8).tobytes()
    assert zlib.decompress(_deflate(data)) == data


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

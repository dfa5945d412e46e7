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
    decoded = np.asarray(PIL.Image.open(io.BytesIO(encode_png(pixels, opaque=opaque))))
    assert decoded.shape == (37, 53, 3 if opaque else 4)
    np.testing.assert_array_equal(decoded, pixels[..., : decoded.shape[2]])


def test_png_refuses_what_is_not_rgba_bytes():
    with pytest.raises(ValueError, match=r"\(height, width, 4\) uint8; got \(2, 2, 3\)"):
        encode_png(np.zeros((2, 2, 3), np.uint8), opaque=True)


def test_figures_are_drawn_at_twice_the_density_they_are_shown_at():
    from dlviz import examples, self_attention

    heatmap = AttentionHeatmap(self_attention(**examples.attention_exercise()))
    data, meta = heatmap._repr_mimebundle_()
    shown_w, shown_h = meta["image/png"]["width"], meta["image/png"]["height"]
    image = PIL.Image.open(io.BytesIO(data["image/png"]))
    assert image.size == (2 * shown_w, 2 * shown_h)
    assert heatmap.css_size == (shown_w, shown_h)

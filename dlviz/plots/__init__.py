"""Pictures: drawn once with matplotlib, then updated in place and handed out as PNG.

Each picture is a `LiveFigure` (`dlviz.plots.base`): it owns a matplotlib Figure on
an Agg canvas (no pyplot, so no global backend is switched as a side effect),
changes its artists in place when the numbers change, and gives PNG bytes for an
`ipywidgets.Image`, or displays itself in a notebook. One module per exercise:

- `attention`: `AttentionHeatmap`, the attention weights;
- `vectordb`: `IndexVectorPlot`, the index vectors in their plane; `scores`:
  `ScoreBars`; `word_map`: `WordMap`;
- `ivf`: `IVFCellsPlot`, the cells of an inverted-file index and the lists probed;
- `moe`: `GateHeatmap`; `moe_load`: `LoadBars`.

Every name is also available from `dlviz.plots` itself.
"""

from dlviz.plots._layout import equal_aspect_limits, place_labels
from dlviz.plots.attention import (
    AttentionHeatmap,
    attention_title,
)
from dlviz.plots.base import (
    MASKED_COLOUR,
    WEIGHTS_CMAP,
    GlyphLabels,
    Heatmap,
    LiveFigure,
)
from dlviz.plots.ivf import LIST_COLOURS, IVFCellsPlot
from dlviz.plots.moe import (
    CHOSEN_COLOUR,
    GATE_MAX_TOKENS,
    GateHeatmap,
    gate_caption,
)
from dlviz.plots.moe_load import (
    BALANCED_COLOUR,
    DROPPED_COLOUR,
    LoadBars,
    load_caption,
)
from dlviz.plots.scores import ScoreBars
from dlviz.plots.vectordb import (
    GUIDE_COLOUR,
    HIT_COLOUR,
    LABEL_BOX,
    QUERY_COLOUR,
    STORED_COLOUR,
    STORED_LIGHT,
    IndexVectorPlot,
)
from dlviz.plots.word_map import WordMap

__all__ = [
    "AttentionHeatmap",
    "BALANCED_COLOUR",
    "CHOSEN_COLOUR",
    "DROPPED_COLOUR",
    "GATE_MAX_TOKENS",
    "GUIDE_COLOUR",
    "GateHeatmap",
    "GlyphLabels",
    "HIT_COLOUR",
    "Heatmap",
    "IVFCellsPlot",
    "IndexVectorPlot",
    "LABEL_BOX",
    "LIST_COLOURS",
    "LiveFigure",
    "LoadBars",
    "MASKED_COLOUR",
    "QUERY_COLOUR",
    "STORED_COLOUR",
    "STORED_LIGHT",
    "ScoreBars",
    "WEIGHTS_CMAP",
    "WordMap",
    "attention_title",
    "equal_aspect_limits",
    "gate_caption",
    "load_caption",
    "place_labels",
]

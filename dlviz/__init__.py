"""dlviz: self-attention, a vector database and a mixture of experts, by hand and live.

The computations (numpy only) and the explorers (ipywidgets) are handed out lazily
(PEP 562), so `import dlviz` is quick and a plain script that uses only the numpy
layer never imports matplotlib or ipywidgets.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> the module that defines it
_PUBLIC = {
    "self_attention": "dlviz.attention",
    "AttentionResult": "dlviz.attention",
    "multi_head_attention": "dlviz.multi_head",
    "positional_encoding": "dlviz.multi_head",
    "MultiHeadResult": "dlviz.multi_head",
    "Vocabulary": "dlviz.vectordb",
    "SentenceEncoder": "dlviz.vectordb",
    "VectorDatabase": "dlviz.vectordb",
    "VectorIndex": "dlviz.vectordb",
    "IVFIndex": "dlviz.vectordb",
    "MixtureOfExperts": "dlviz.moe",
    "MoEResult": "dlviz.moe",
    "AttentionExplorer": "dlviz.widgets.attention",
    "VectorDBExplorer": "dlviz.widgets.vectordb",
    "MoEExplorer": "dlviz.widgets.moe",
    "HandCheck": "dlviz.widgets.handcheck",
}
_SUBMODULES = (
    "attention", "multi_head", "vectordb", "moe", "examples", "checking", "sheet", "plots",
    "widgets",
)  # fmt: skip

__all__ = sorted(_PUBLIC) + list(_SUBMODULES)


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"dlviz.{name}")
    else:
        raise AttributeError(f"module 'dlviz' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))

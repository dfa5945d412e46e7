"""A vector database, step by step, in the column convention of the by-hand sheet.

Every vector is a column. A sentence goes through the exercise's steps::

    tokens = sentence.split()                     step 1
    E = [e_1 … e_n]                               step 2    (dim, n_tokens)
    H = ReLU(W·E + b)                             step 2    (hidden, n_tokens)
    pooled = mean of the columns of H             step 3    (hidden,)
    index_vector = P·pooled                       step 4    (index_dim,)

and its index vector is stored (step 5). A query sentence is encoded the same way
(step 6) and compared with every stored index vector by a dot product (step 7);
the highest score is the nearest text.

`Vocabulary` holds the word vectors, `SentenceEncoder` does steps 1-4 and returns
every intermediate (`Encoding`), `VectorDatabase` does steps 5-7 for texts, and
`VectorIndex` is the engine underneath: it stores raw vectors and finds the k best
for a query, exactly, fast enough for a million of them.

The package has one module per part: `words` (Vocabulary), `encoder` (SentenceEncoder,
steps 1-4), `index` (VectorIndex, the exact engine), `kmeans` and `ivf` (IVFIndex, approximate
search in k-means cells, beyond the sheet), `database` (VectorDatabase, steps
5-7) and `map` (pca_2d, the word map). Every public name is importable from here.
"""

from __future__ import annotations

from dlviz.vectordb.database import (
    DatabaseSnapshot,
    Hit,
    SearchResult,
    VectorDatabase,
    ZeroVectorError,
)
from dlviz.vectordb.encoder import Encoding, SentenceEncoder
from dlviz.vectordb.index import METRICS, Neighbours, VectorIndex
from dlviz.vectordb.ivf import IVFIndex, IVFNeighbours
from dlviz.vectordb.kmeans import KMeans, LloydStep, assign, kmeans, lloyd_step, nearest_centroids
from dlviz.vectordb.map import PCA2D, pca_2d
from dlviz.vectordb.words import Vocabulary

__all__ = [
    "METRICS",
    "PCA2D",
    "DatabaseSnapshot",
    "Encoding",
    "Hit",
    "IVFIndex",
    "IVFNeighbours",
    "KMeans",
    "LloydStep",
    "Neighbours",
    "SearchResult",
    "SentenceEncoder",
    "VectorDatabase",
    "VectorIndex",
    "Vocabulary",
    "ZeroVectorError",
    "assign",
    "kmeans",
    "lloyd_step",
    "nearest_centroids",
    "pca_2d",
]

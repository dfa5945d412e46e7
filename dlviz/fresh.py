"""Fresh, pencil-friendly numbers for the three exercises, one exercise per seed.

`examples.attention_exercise(seed)`, `vectordb_exercise(seed)` and `moe_exercise(seed)`
call these. Each draws whole numbers in the sheet's style from
`numpy.random.default_rng([seed, exercise])` and keeps the first draw that a person
can do with a pencil, in the sheet's way (the rules are in each docstring). The same
seed gives the same numbers on every machine; different seeds give different
exercises. Draws that fail a rule are thrown away, so a seed's numbers do not change
when another seed's do.
"""

from __future__ import annotations

import numpy as np

from dlviz._checks import as_int

# Bounds every fresh exercise keeps (the tests hold the generators to them).
INPUT_BOUND = 10  # |any input| ≤ 10 ...
ENCODER_BOUND = 3  # ... ≤ 3 for the vector database's W, b and P,
TOKEN_BOUND = 5  # ... ≤ 5 for the tokens of the mixture of experts,
GATE_BOUND = 3  # ... ≤ 3 for its gate.
SCALED_BOUND = 4  # by-hand scaled scores within ±4: 3⁴ = 81 is the largest power to write
COLUMN_SUM_LIMIT = 250  # by-hand column sums under 250: a short division by hand

# Far more than any seed needs (a few dozen draws at most); a bound, so a loop never hangs.
_MAX_DRAWS = 100_000


def _rng(seed, exercise: int) -> np.random.Generator:
    seed = as_int("seed", seed, low=0)
    return np.random.default_rng([seed, exercise])


def _pick(rng, values, p, size):
    return rng.choice(np.array(values), size=size, p=p)


# --------------------------------------------------------------------------- attention


def attention(seed: int) -> dict[str, np.ndarray]:
    """Exercise 1 with fresh numbers: X (6×4) and WQ, WK, WV (3×6), as on the sheet.

    - X: whole numbers from 0 to 2, a few -1 (the sheet's are 0 to 2);
    - WQ, WK: mostly 0, some 1, a few -1 (as on the sheet);
    - WV: 10 (now and then -10) at one or two features per row, so V is in tens,
      and Z = V·A (A in tenths) comes out whole;
    - kept only if, by hand, every scaled score trunc(S / 2) is within ±4, every
      column of 3ˣ sums to 1 … 249, at least two queries do not weigh all their keys
      alike, and at least three queries' weights differ from each other (otherwise
      the softmax has little to show).
    """
    from dlviz.attention import self_attention

    rng = _rng(seed, 1)
    for _ in range(_MAX_DRAWS):
        X = _pick(rng, [-1, 0, 1, 2], [0.05, 0.45, 0.32, 0.18], (6, 4))
        WQ = _pick(rng, [-1, 0, 1], [0.1, 0.6, 0.3], (3, 6))
        WK = _pick(rng, [-1, 0, 1], [0.1, 0.6, 0.3], (3, 6))
        WV = np.zeros((3, 6), dtype=int)
        features = rng.permutation(6)
        for i in range(3):
            WV[i, features[i]] = 10
            if rng.random() < 0.3:
                WV[i, features[3 + i]] = rng.choice([-10, 10])
        if not (X.any(axis=0).all() and WQ.any(axis=1).all() and WK.any(axis=1).all()):
            continue  # a token of zeros, or a query/key entry that is always 0
        S = (WK @ X).T @ (WQ @ X)  # (n_keys, n_queries)
        scaled = np.trunc(S / 2)
        if np.abs(scaled).max() > SCALED_BOUND or (scaled.max(axis=0) < 0).any():
            continue  # 3ˣ too large to write, or a column whose 3ˣ all round to 0
        r = self_attention(X, WQ, WK, WV, mode="hand")
        spread = (r.scaled.max(axis=0) > r.scaled.min(axis=0)).sum()
        different = np.unique(r.weights, axis=1).shape[1]  # queries weighing keys differently
        if r.sums.max() >= COLUMN_SUM_LIMIT or spread < 2 or different < 3:
            continue
        return {"X": X, "WQ": WQ, "WK": WK, "WV": WV}
    raise RuntimeError(f"no pencil-friendly attention exercise for seed {seed}")  # never seen


# --------------------------------------------------------------------------- vector database

# Sentences are put together as the sheet's are: a question word, then a verb with a
# person it fits ("who am I", "how are you"), so that every text reads as English.
_QUESTION = ("how", "why", "who", "what")
_VERB_PERSON = (
    ("am", "I"), ("are", "you"), ("are", "we"), ("are", "they"), ("is", "he"),
    ("is", "she"), ("was", "I"), ("was", "he"), ("was", "she"),
)  # fmt: skip


def _sentence(rng) -> str:
    verb, person = _VERB_PERSON[rng.integers(len(_VERB_PERSON))]
    return f"{rng.choice(_QUESTION)} {verb} {person}"


def vectordb(seed: int) -> dict:
    """Exercise 2 with fresh numbers: the sheet's 21 words with new vectors, new W, b, P.

    - word vectors: whole numbers from -1 to 2, mostly 0 and 1, all different, none 0;
    - W (4×4) from -1 to 1, b from -1 to 1 (mostly 0 and -1), P (2×4) from -1 to 1:
      all within ±3, as the sheet's;
    - three texts and a query, each a question of three words ("who am I"), all different;
    - kept only if ReLU turns at least one number to 0, no index vector is zero (so
      cosine works too), every index number is within ±10, and the nearest text wins
      by at least 2/9 (one text, no tie, and a clear one by pencil).
    """
    from dlviz.examples import _WORDS
    from dlviz.vectordb import SentenceEncoder, VectorDatabase, Vocabulary

    rng = _rng(seed, 2)
    words = list(_WORDS)
    for _ in range(_MAX_DRAWS):
        vectors = _pick(rng, [-1, 0, 1, 2], [0.12, 0.5, 0.3, 0.08], (len(words), 4))
        if not vectors.any(axis=1).all() or len(np.unique(vectors, axis=0)) < len(words):
            continue
        W = _pick(rng, [-1, 0, 1], [0.15, 0.45, 0.4], (4, 4))
        b = _pick(rng, [-1, 0, 1], [0.3, 0.6, 0.1], 4)
        P = _pick(rng, [-1, 0, 1], [0.1, 0.45, 0.45], (2, 4))
        if not (W.any(axis=1).all() and P.any(axis=1).all()):
            continue
        texts = list(dict.fromkeys(_sentence(rng) for _ in range(3)))
        query = _sentence(rng)
        if len(texts) < 3 or query in texts:
            continue
        embeddings = {w: v for w, v in zip(words, vectors, strict=True)}
        database = VectorDatabase(SentenceEncoder(Vocabulary(embeddings), W, b, P))
        database.add(texts)
        result = database.search(query, k=3)
        encodings = [*database.encodings, result.query]
        if not any((e.linear < 0).any() for e in encodings):
            continue  # ReLU would have nothing to do
        index = np.stack([e.index_vector for e in encodings])  # (4, 2)
        # (a float sum of thirds may leave 1e-16 where a pencil writes 0)
        if not (np.abs(index) > 1e-9).any(axis=1).all() or np.abs(index).max() > INPUT_BOUND:
            continue
        best, second = result.hits[0].score, result.hits[1].score
        if best - second < 2 / 9 - 1e-9:
            continue
        return {
            "embeddings": {w: np.array(v) for w, v in embeddings.items()},
            "W": W,
            "b": b,
            "P": P,
            "database": texts,
            "query": query,
        }
    raise RuntimeError(f"no pencil-friendly vector-database exercise for seed {seed}")


# --------------------------------------------------------------------------- mixture of experts


def moe(seed: int) -> dict:
    """Exercise 3 with fresh numbers: tokens X1, X2, a gate of two experts, two experts.

    - X (3×2): whole numbers from -2 to 4 (the sheet's are 1 to 3), two different tokens;
    - gate_W (2×3) from -1 to 2, gate_b from -1 to 1, mostly 0 (the sheet's is 0);
    - each expert's W (4×3) from -1 to 1 and b from -1 to 1, mostly 0, as on the sheet;
    - kept only if each token's two gate logits differ by 1 to 3 (no tie to break, and
      a softmax that is not just 0 and 1; the sheet's differ by 1), the two
      tokens go to different experts (so both are used, as on the sheet), some chosen
      expert gives a negative number (so ReLU is at work) while each token keeps a
      positive one (no output of zeros only), and the gate logits are within ±10.
    """
    rng = _rng(seed, 3)
    for _ in range(_MAX_DRAWS):
        X = rng.integers(-2, 5, size=(3, 2))
        gate_W = _pick(rng, [-1, 0, 1, 2], [0.15, 0.35, 0.4, 0.1], (2, 3))
        gate_b = _pick(rng, [-1, 0, 1], [0.2, 0.6, 0.2], 2)
        experts = [
            (
                _pick(rng, [-1, 0, 1], [0.25, 0.35, 0.4], (4, 3)),
                _pick(rng, [-1, 0, 1], [0.15, 0.7, 0.15], 4),
            )
            for _ in range(2)
        ]
        if (X[:, 0] == X[:, 1]).all():
            continue
        logits = gate_W @ X + gate_b[:, None]  # (2 experts, 2 tokens)
        gap = np.abs(logits[0] - logits[1])  # (2,)
        if not ((gap >= 1) & (gap <= 3)).all() or np.abs(logits).max() > INPUT_BOUND:
            continue  # a tie, or a softmax too close to 0 and 1 to show anything
        chosen = logits.argmax(axis=0)  # (2,)
        if chosen[0] == chosen[1]:
            continue
        linear = [experts[e][0] @ X[:, t] + experts[e][1] for t, e in enumerate(chosen)]
        if not any((v < 0).any() for v in linear) or not all((v > 0).any() for v in linear):
            continue  # ReLU idle, or a token whose output would be all zeros
        return {"X": X, "gate_W": gate_W, "gate_b": gate_b, "experts": experts}
    raise RuntimeError(f"no pencil-friendly mixture-of-experts exercise for seed {seed}")

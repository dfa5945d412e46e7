"""Steps 1-4: `SentenceEncoder` turns a sentence into its index vector (`Encoding`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlviz._checks import as_matrix, as_vector, frozen, nfc, shape_text, shown
from dlviz._numerics import refuse_nonfinite
from dlviz.vectordb.words import Vocabulary


@dataclass(frozen=True, eq=False)  # eq=False: == on arrays is elementwise, not a bool
class Encoding:
    """Every step of encoding one sentence (steps 1-4 of the exercise); arrays read-only.

    Shapes, with n tokens: embeddings (dim, n); linear and encoded (hidden, n);
    pooled (hidden,); index_vector (index_dim,). Column j belongs to `tokens[j]`.
    `linear` is W·e + b before the ReLU, `encoded` after it.
    """

    sentence: str
    tokens: tuple[str, ...]
    embeddings: np.ndarray
    linear: np.ndarray
    encoded: np.ndarray
    pooled: np.ndarray
    index_vector: np.ndarray


_EARLY_KEPT = 4096  # sentences whose steps 1-3 an encoder keeps


def _overflow(sentence: str) -> str:
    return (
        f"encoding {shown(sentence)} overflowed (numbers beyond ±1.8e308): W, b or P, "
        "or the word vectors, are too large"
    )


class SentenceEncoder:
    """Turns a sentence into its index vector: steps 1-4 of the exercise.

    h = ReLU(W·e + b) for each token's embedding e, mean pooling over the tokens,
    then index_vector = P·pooled.

    Parameters
    ----------
    vocabulary : a `Vocabulary` (or anything `Vocabulary()` accepts).
    W : (hidden, dim) the encoder weights; dim is the vocabulary's.
    b : (hidden,) the encoder bias.
    P : (index_dim, hidden) the projection.

    W, b and P are kept as read-only float arrays; `with_params` makes a new encoder
    with some of them replaced.
    """

    def __init__(self, vocabulary, W, b, P):
        if not isinstance(vocabulary, Vocabulary):
            vocabulary = Vocabulary(vocabulary)
        W, b, P = as_matrix("W", W), as_vector("b", b), as_matrix("P", P)
        dim = vocabulary.dim
        if W.shape[1] != dim:
            raise ValueError(
                f"W is {shape_text(W.shape)} but the word vectors are {dim}-d: W needs one "
                f"column per number of a word vector, so it must be ({W.shape[0]}×{dim})"
            )
        hidden = W.shape[0]
        if b.shape != (hidden,):
            raise ValueError(
                f"b has {b.size} numbers but W is {shape_text(W.shape)}: b needs one number "
                f"per row of W, so it must have {hidden}"
            )
        if P.shape[1] != hidden:
            raise ValueError(
                f"P is {shape_text(P.shape)} but W is {shape_text(W.shape)}, so each token is "
                f"encoded into {hidden} numbers: P needs one column per encoded number, so it "
                f"must be ({P.shape[0]}×{hidden})"
            )
        self._vocabulary = vocabulary
        self._W, self._b, self._P = frozen(W), frozen(b), frozen(P)
        # sentence -> its steps 1-3 (tokens, embeddings, linear, encoded, pooled), shared
        # with the encoders `with_params` makes with the same W and b: a new P (a slider)
        # encodes a database again with one product per text.
        self._early: dict = {}

    @property
    def vocabulary(self) -> Vocabulary:
        return self._vocabulary

    @property
    def W(self) -> np.ndarray:
        """(hidden, dim), read-only."""
        return self._W

    @property
    def b(self) -> np.ndarray:
        """(hidden,), read-only."""
        return self._b

    @property
    def P(self) -> np.ndarray:
        """(index_dim, hidden), read-only."""
        return self._P

    @property
    def hidden_dim(self) -> int:
        return self._W.shape[0]

    @property
    def index_dim(self) -> int:
        return self._P.shape[0]

    def __repr__(self) -> str:
        return (
            f"SentenceEncoder({self._vocabulary!r}, W {shape_text(self._W.shape)}, "
            f"b {self._b.size}, P {shape_text(self._P.shape)})"
        )

    def with_params(self, W=None, b=None, P=None) -> SentenceEncoder:
        """A new encoder on the same vocabulary, with the given parameters replaced."""
        encoder = SentenceEncoder(
            self._vocabulary,
            self._W if W is None else W,
            self._b if b is None else b,
            self._P if P is None else P,
        )
        if np.array_equal(encoder._W, self._W) and np.array_equal(encoder._b, self._b):
            encoder._early = self._early  # steps 1-3 are the same: share them
        return encoder

    def encode(self, sentence: str) -> Encoding:
        """Steps 1-4 for one sentence: tokens, embeddings, ReLU(W·e + b), mean, P·pooled.

        Tokens are the whitespace-separated pieces of `sentence` (punctuation is not
        special: "you?" is its own word). Raises TypeError for a non-str, ValueError
        for an empty sentence or an unknown word (naming the closest known ones).
        """
        if not isinstance(sentence, str):
            raise TypeError(f"a sentence must be text (str), got {shown(sentence)}")
        sentence = nfc(sentence)  # words are compared in one Unicode form
        early = self._early.get(sentence)
        if early is None:
            early = self._steps_1_to_3(sentence)
            if len(self._early) >= _EARLY_KEPT:
                self._early.clear()
            self._early[sentence] = early
        tokens, embeddings, linear, encoded, pooled = early
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
            index_vector = self._P @ pooled  # (index_dim,), step 4
        refuse_nonfinite(index_vector, lambda _: _overflow(sentence))
        return Encoding(
            sentence=sentence,
            tokens=tokens,
            embeddings=embeddings,
            linear=linear,
            encoded=encoded,
            pooled=pooled,
            index_vector=frozen(index_vector),
        )

    def _steps_1_to_3(self, sentence: str) -> tuple:
        """(tokens, embeddings, linear, encoded, pooled) of an NFC `sentence`, read-only."""
        tokens = tuple(sentence.split())  # step 1
        if not tokens:
            raise ValueError(
                f"the sentence {shown(sentence)} has no words: type some, e.g. 'how are you'"
            )
        unknown = [t for t in dict.fromkeys(tokens) if t not in self._vocabulary]
        if unknown:
            raise ValueError(self._vocabulary.unknown_message(unknown, sentence))

        columns = [self._vocabulary._position[t] for t in tokens]
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
            embeddings = self._vocabulary.matrix[:, columns]  # (dim, n_tokens), a copy
            linear = self._W @ embeddings + self._b[:, None]  # (hidden, n_tokens), step 2
            encoded = np.where(linear > 0, linear, 0.0)  # (hidden, n_tokens); no -0.0
            pooled = encoded.mean(axis=1)  # (hidden,), step 3
        refuse_nonfinite(linear, lambda _: _overflow(sentence))
        return tokens, frozen(embeddings), frozen(linear), frozen(encoded), frozen(pooled)

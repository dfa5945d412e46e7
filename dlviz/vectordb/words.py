"""Step 2's word table: `Vocabulary`, each known word and its embedding (a column)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from dlviz._checks import as_int, as_vector, frozen, nfc, shown

# The unknown words a message lists by name; the rest are counted.
LISTED_UNKNOWN = 5
KNOWN_LISTED = 30  # an unknown word like no known one: the known words, up to this many


def _edit_distance(a: str, b: str) -> int:
    """The fewest one-letter insertions, deletions, changes or swaps of neighbours.

    Levenshtein distance plus swaps (optimal string alignment), so the typo "yuo"
    is 1 away from "you", closer than "who".
    """
    before, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, before[j - 2] + 1)
            current.append(best)
        before, previous = previous, current
    return previous[-1]


def _quoted(words) -> str:
    """`['a', 'b', 'c']` -> `"'a', 'b' or 'c'"`."""
    words = [repr(w) for w in words]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


class Vocabulary:
    """The word table of the exercise: each known word and its embedding (a column).

    Step 2 of the exercise looks each token up here.

    Parameters
    ----------
    table : a dict word → vector, or an iterable of (word, vector) pairs. Words are
        non-empty str without whitespace (sentences are split on whitespace, so such
        a word could never be looked up); every vector has the same size `dim`.

    Attributes
    ----------
    dim : the size of every word vector.
    words : tuple of the words, in the order given.
    matrix : (dim, n_words) read-only, column j is the vector of `words[j]`.
    """

    def __init__(self, table):
        if isinstance(table, (str, bytes)) or table is None:
            raise TypeError(
                f"a vocabulary is built from a dict word → vector or (word, vector) pairs, "
                f"got {table!r}"
            )
        pairs = table.items() if isinstance(table, Mapping) else table
        if not isinstance(pairs, Iterable):
            raise TypeError(
                f"a vocabulary is built from a dict word → vector or (word, vector) pairs, "
                f"got {type(table).__name__}"
            )
        words: list[str] = []
        vectors: list[np.ndarray] = []
        position: dict[str, int] = {}
        for item in pairs:
            if not (isinstance(item, tuple) and len(item) == 2):
                raise TypeError(f"each entry must be a (word, vector) pair, got {item!r}")
            word, vector = item
            if not isinstance(word, str):
                raise TypeError(f"words must be text (str), got {shown(word)}")
            word = nfc(word)
            if not word or word.split() != [word]:
                raise ValueError(
                    f"the word {word!r} is empty or holds whitespace: sentences are split on "
                    "whitespace, so it could never be looked up"
                )
            if word in position:
                raise ValueError(
                    f"the word {word!r} is given twice (entries {position[word] + 1} and "
                    f"{len(words) + 1}): a vocabulary holds one vector per word"
                )
            vector = as_vector(f"the vector of {word!r}", vector)
            if vectors and vector.size != vectors[0].size:
                raise ValueError(
                    f"word vectors must all have the same size: {words[0]!r} has "
                    f"{vectors[0].size} numbers but {word!r} has {vector.size}"
                )
            position[word] = len(words)
            words.append(word)
            vectors.append(vector)
        if not words:
            raise ValueError("the vocabulary is empty: give it at least one word and its vector")
        self._position = position
        self._words = tuple(words)
        self._matrix = frozen(np.stack(vectors, axis=1))  # (dim, n_words)

    @property
    def dim(self) -> int:
        return self._matrix.shape[0]

    @property
    def words(self) -> tuple[str, ...]:
        return self._words

    @property
    def matrix(self) -> np.ndarray:
        """(dim, n_words), read-only: the word vectors as columns, in the order of `words`."""
        return self._matrix

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, word) -> bool:
        return isinstance(word, str) and nfc(word) in self._position

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} words, {self.dim}-d)"

    def vector(self, word: str) -> np.ndarray:
        """The embedding of `word`, a fresh (writable) copy of shape (dim,)."""
        if word not in self:
            raise ValueError(self._unknown_message(word))
        return self._matrix[:, self._position[nfc(word)]].copy()

    def suggest(self, word: str, n: int = 3) -> tuple[str, ...]:
        """The `n` known words closest to `word`, closest first.

        Words equal to it but for case come first (so "i" suggests "I"), then the
        rest by edit distance ignoring case, then by edit distance with case, then
        in vocabulary order, so the answer is always the same.
        """
        if not isinstance(word, str):
            raise TypeError(f"word must be text (str), got {shown(word)}")
        n = as_int("n", n, low=1)
        # Letters past the longest known word only add the same cost to every distance:
        # dropping them keeps the ranking and bounds the time (a 100,000-letter word).
        word = nfc(word)[: max(map(len, self._words)) + 2]
        folded = word.casefold()

        def closeness(j_known):
            j, known = j_known
            return (
                known.casefold() != folded,
                _edit_distance(folded, known.casefold()),
                _edit_distance(word, known),
                j,
            )

        ranked = sorted(enumerate(self._words), key=closeness)
        return tuple(known for _, known in ranked[:n])

    def _unknown_message(self, word, sentence: str | None = None) -> str:
        # "unknown word 'b' in 'b'" says nothing twice: the place only if there is more
        where = (
            f" in {shown(sentence)}" if sentence is not None and sentence.strip() != word else ""
        )
        if not isinstance(word, str):
            return f"unknown word {shown(word)}{where}: words are text (str)"
        # A case slip ("i" for "I") is almost surely the answer: do not dilute it. Else
        # the closest words only: "yuo" is one swap from "you", three edits from "a". A
        # word is suggested only if it keeps a letter of the typed one: "3" and "1/0" are
        # not slips for "a"; for them the words it knows are listed instead.
        folded = nfc(word).casefold()[: max(map(len, self._words)) + 2]  # as `suggest`
        letters = set(folded)
        close = [w for w in self.suggest(word, len(self)) if letters & set(w.casefold())][:3]
        if not close:
            return f"unknown word {shown(word)}{where}; {self._known_words()}"
        distance = [_edit_distance(folded, w.casefold()) for w in close]
        closest = [w for w, n in zip(close, distance, strict=True) if n == distance[0]]
        return f"unknown word {shown(word)}{where}; did you mean {_quoted(closest)}?"

    def _known_words(self) -> str:
        """The words to choose from, for a word like none of them: all, if a line holds them."""
        words = sorted(self._words, key=lambda w: (w.casefold(), w))
        if len(words) <= KNOWN_LISTED:
            return f"the known words are: {', '.join(words)}"
        return f"there are {len(words):,} known words, such as {', '.join(words[:10])}"

    def unknown_message(self, words, sentence: str) -> str:
        """Why `sentence` cannot be encoded: its first unknown word, then the others, counted."""
        message = self._unknown_message(words[0], sentence)
        others = words[1:]
        if others:
            listed = ", ".join(shown(w, 30) for w in others[:LISTED_UNKNOWN])
            more = len(others) - LISTED_UNKNOWN
            message += f" (also unknown: {listed}" + (f" and {more:,} more)" if more > 0 else ")")
        return message

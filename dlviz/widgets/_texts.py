"""The texts a vector-database explorer takes: what its database box holds, and how many.

Its box holds one text per line; the explorer redraws every text on each move and
shows each word as a column. These checks refuse, in words, what the box could not
hold (a line break inside a text, a single text where a list belongs) and more than
the explorer can show, instead of freezing. `database_lines` reads the box, and
`zero_vector_words` says which text a cosine search cannot rank.
"""

from __future__ import annotations

from dlviz._checks import as_texts, shown
from dlviz.sheet import format_number
from dlviz.vectordb import ZeroVectorError

# The explorer redraws its texts on every move and shows each word as a column, so it
# takes at most this many texts, and words per text; beyond, it says so on screen
# rather than freeze (a VectorDatabase itself has no such limit). How fast it is up
# to there: benchmarks/bench_explorers.py.
MAX_TEXTS = 200
MAX_WORDS = 40


def starting_texts(database) -> list[str]:
    """The texts an explorer starts with, refused as its database box would refuse them.

    The box holds one text per line, so a text with a line break in it would become
    two: it is refused here, as is a single text given where a list belongs (it would
    be read letter by letter).
    """
    if isinstance(database, str):
        raise TypeError(
            f"database must be a list of texts, got the single text {shown(database)}: "
            f"write [{shown(database)}] for a database of one text"
        )
    texts = as_texts("database", database, expected="a list of texts", each="a text (str)")
    for i, text in enumerate(texts):
        if len(text.splitlines()) > 1:
            raise ValueError(
                f"database[{i}] = {shown(text)} holds a line break: the database box holds "
                "one text per line, so give each text as its own item"
            )
    return texts


def refuse_too_much(lines: list[tuple[int, str]], query: str) -> None:
    """Refuse, in words, more texts or words than the explorer shows (MAX_TEXTS, MAX_WORDS)."""
    if len(lines) > MAX_TEXTS:
        raise ValueError(
            f"the database has {len(lines):,} texts, and this explorer shows at most "
            f"{MAX_TEXTS} (it redraws them all on every move): remove some lines, or use a "
            "VectorDatabase directly for more"
        )
    for where, text in [*((f"database line {n}", t) for n, t in lines), ("the query", query)]:
        words = len(text.split())
        if words > MAX_WORDS:
            raise ValueError(
                f"{where} has {words:,} words, and this explorer shows at most {MAX_WORDS} "
                "per text (a column each): shorten it"
            )


def database_lines(text: str) -> list[tuple[int, str]]:
    """The texts of a database box as (line number from 1, text); blank lines are skipped."""
    return [(i, line.strip()) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _vector_text(v) -> str:
    return "[" + ", ".join(format_number(x, "frac") for x in v) + "]"


def zero_vector_words(exc: ZeroVectorError, lines) -> str:
    """Why cosine cannot rank, in the learner's words: which index vector has no angle."""
    fix = "slide an entry of *P* or *b*, or switch *metric* to *dot*"
    vector = exc.encoding.index_vector
    why = (
        "a zero vector points nowhere"
        if not vector.any()
        else "its numbers are so small (below 2.2e-308) that a float has lost the digits "
        "of its direction"
    )
    if exc.index is None:
        return (
            f"cosine compares directions, but the query {exc.encoding.sentence!r} has index "
            f"vector {_vector_text(vector)}: {why}, so its angle with the texts is "
            f"undefined. Change the query, {fix}."
        )
    number = lines[exc.index][0]
    return (
        f"cosine compares directions, but {exc.encoding.sentence!r} (database line "
        f"{number}) has index vector {_vector_text(vector)}: {why}, so its angle with "
        f"the query is undefined. Remove that line, {fix}."
    )

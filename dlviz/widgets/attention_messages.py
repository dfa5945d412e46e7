"""The attention explorer's messages: the by-hand rules' limits in the learner's words.

The library says "use mode='exact'" and "3^42"; an explorer says "Switch *mode* to
*exact*" and "3⁴²", naming the control to change.
"""

from __future__ import annotations

import re

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript(number) -> str:
    """`superscript(42)` → "⁴²": an exponent as the notebook writes it."""
    return str(number).translate(_SUPERSCRIPT)


def hand_rule_message(text: str) -> str | None:
    """`text` (a library message) reworded for a learner, or None if it is not a by-hand limit.

    A message about one head of several ("head 2: by hand, …") keeps the head's name.
    """
    head = re.match(r"head (\d+): (.*)", text, re.DOTALL)
    if head:
        inner = hand_rule_message(head.group(2))
        return f"Head {head.group(1)}: {inner[0].lower()}{inner[1:]}" if inner else None
    too_big = re.match(
        r"by hand, scaled score (\S+) \(key (\d+), query (\d+)\).*limit is 3\^(\d+)", text
    )
    if too_big:
        score, key, query, limit = too_big.groups()
        power = f"3{superscript(score)}" if score.isdigit() else f"3 to the power {score}"
        return (
            f"By hand, query {query} gives key {key} a scaled score of {score}, and "
            f"{power} is too big to write down: the sheet's whole-number "
            f"powers of 3 stop at 3{superscript(limit)}. Switch *mode* to *exact*, or "
            "make the inputs smaller."
        )
    all_zero = re.match(r"by hand, every rounded 3ˣ in column q(\d+) is 0 \(its scaled "
                        r"scores are ([^)]*)\)", text)  # fmt: skip
    if all_zero:
        query, scores = all_zero.groups()
        return (
            f"By hand, every power of 3 in column q{query} rounds to 0 (its scaled scores "
            f"are {scores.replace('-', '−')}), so there is nothing to divide by. Switch "
            f"*mode* to *exact*, which never rounds, or raise a score of query {query}."
        )
    return None

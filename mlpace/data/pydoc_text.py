"""Python's own documentation text (``pydoc_data.topics``, shipped with CPython) as a corpus.

The text is the help of the language topics (``help('assignment')``...), about 465 kB.
It is cut into lines (leading/trailing blanks stripped, empty lines dropped). A seeded
draw picks held-out *evaluation lines*: prose lines 48-90 characters long. Every copy of
an evaluation line is removed from the training lines, so the model never sees them.

Each evaluation line becomes a prompt (its first words, at least ``PROMPT_CHARS``
characters, cut at a space) and a reference continuation (the rest of the line).
The text differs between Python minor versions; ``corpus_digest()`` names the one used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

PROMPT_CHARS = 28
EVAL_COUNT = 300
_MIN_LEN, _MAX_LEN = 48, 90


def raw_text() -> str:
    """The documentation topics, concatenated in sorted key order."""
    from pydoc_data.topics import topics

    return "\n".join(topics[k] for k in sorted(topics))


def corpus_digest() -> str:
    """First 12 hex digits of the corpus' SHA-256 (differs between Python versions)."""
    return hashlib.sha256(raw_text().encode("utf-8")).hexdigest()[:12]


def lines() -> list[str]:
    return [s for s in (line.strip() for line in raw_text().split("\n")) if s]


def _is_prose(line: str) -> bool:
    if not _MIN_LEN <= len(line) <= _MAX_LEN or not line.isascii():
        return False
    letters = sum(c.isalpha() or c == " " for c in line)
    return letters >= 0.9 * len(line) and line[0].isalpha() and " " in line[PROMPT_CHARS:]


def split_prompt(line: str) -> tuple[str, str]:
    """``(prompt, continuation)``: the prompt ends at the first space at or after ``PROMPT_CHARS``."""
    cut = line.index(" ", PROMPT_CHARS)
    return line[:cut], line[cut + 1 :]


@dataclass(frozen=True)
class TextSplit:
    train: list[str]  # training lines (no copy of an evaluation line)
    prompts: list[str]
    references: list[str]  # true continuation of each prompt's line


def load(seed: int = 0, count: int = EVAL_COUNT) -> TextSplit:
    """Training lines and ``count`` held-out (prompt, continuation) pairs, drawn with ``seed``."""
    all_lines = lines()
    candidates = sorted({s for s in all_lines if _is_prose(s)})
    rng = np.random.default_rng(seed)
    picked = [candidates[i] for i in sorted(rng.choice(len(candidates), size=count, replace=False))]
    held = set(picked)
    train = [s for s in all_lines if s not in held]
    pairs = [split_prompt(s) for s in picked]
    return TextSplit(train, [p for p, _ in pairs], [c for _, c in pairs])

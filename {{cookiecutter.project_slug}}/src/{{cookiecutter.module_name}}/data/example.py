"""The bundled example data: short news sentences about food, sports or technology.

Sentences are generated from phrase lists, so the data ships as code: no download, no
files, identical on every machine. ``bundled_table`` hands them over as a table of
"text" and "label" columns, so they are checked, split and encoded exactly like a
user's CSV file.

Each sentence joins a shared opening ("Last week", ...) to a class-specific subject,
event and setting, so words like "the", "a" and "in" appear in every class while the
class keywords keep a tiny model's accuracy high.
"""

import functools
import hashlib
import itertools
from dataclasses import dataclass
from pathlib import Path

from .files import Row, Table

# In class-index order, which for data read from a table is alphabetical (sources.label_names).
LABEL_NAMES: tuple[str, ...] = ("food", "sports", "technology")
BUNDLED = Path("bundled-example")  # what error messages call this source
EXAMPLES_PER_CLASS = 120

# Shared by every class: words that carry no label information.
_OPENINGS = ("", "yesterday", "this morning", "last week", "on Sunday", "once again", "as expected")


@dataclass(frozen=True)
class _Topic:
    """Phrase lists of one class; a sentence is opening + subject + event + setting."""

    subjects: tuple[str, ...]
    events: tuple[str, ...]
    settings: tuple[str, ...]


_TOPICS: dict[str, _Topic] = {
    "sports": _Topic(
        subjects=(
            "the striker",
            "the goalkeeper",
            "the coach",
            "the referee",
            "the captain",
            "the sprinter",
            "the home team",
            "the tennis champion",
        ),
        events=(
            "scored a late goal",
            "won the match on penalties",
            "missed an easy chance",
            "broke the world record",
            "lifted the trophy",
            "was sent off for a foul",
            "trained hard before the race",
            "signed a contract with the club",
        ),
        settings=(
            "in the final",
            "at the stadium",
            "during the league season",
            "in front of the fans",
            "at the Olympic Games",
        ),
    ),
    "technology": _Topic(
        subjects=(
            "the engineer",
            "the startup",
            "the developer",
            "the chip maker",
            "the software team",
            "the robotics lab",
            "the smartphone company",
            "the data scientist",
        ),
        events=(
            "released a software update",
            "fixed a security bug",
            "launched a faster laptop",
            "trained a new language model",
            "shipped the app to millions of users",
            "built a cheaper processor",
            "moved its servers to the cloud",
            "published the source code",
        ),
        settings=(
            "at the tech conference",
            "in Silicon Valley",
            "after months of testing",
            "for the new operating system",
            "on the company website",
        ),
    ),
    "food": _Topic(
        subjects=(
            "the chef",
            "the baker",
            "the restaurant",
            "my grandmother",
            "the street vendor",
            "the pastry cook",
            "the farmer",
            "the food critic",
        ),
        events=(
            "baked fresh sourdough bread",
            "cooked a spicy curry",
            "served homemade pasta",
            "grilled vegetables and fish",
            "tasted a rich chocolate cake",
            "made a creamy tomato soup",
            "roasted a chicken with garlic",
            "prepared a salad with olive oil",
        ),
        settings=(
            "in the kitchen",
            "at the farmers market",
            "for a family dinner",
            "at the village bakery",
            "before the lunch rush",
        ),
    ),
}


def _stable_order(seed: int, text: str) -> bytes:
    """Sort key for a seeded shuffle that no Python, NumPy or torch upgrade can change."""
    return hashlib.sha256(f"{seed}:{text}".encode()).digest()


def _sentence(opening: str, subject: str, event: str, setting: str) -> str:
    words = " ".join(part for part in (opening, subject, event, setting) if part)
    return words[0].upper() + words[1:] + "."


@functools.lru_cache(maxsize=32)
def _class_sentences(label: int, num_per_class: int, seed: int) -> tuple[str, ...]:
    """`num_per_class` distinct sentences of class `label`, in seeded order.

    Cached: hashing every candidate sentence takes about 10 ms a class, and the bundled
    table is read again by each command of a process (and by each test that uses it).
    """
    topic = _TOPICS[LABEL_NAMES[label]]
    candidates = [
        _sentence(*parts)
        for parts in itertools.product(_OPENINGS, topic.subjects, topic.events, topic.settings)
    ]
    if not (isinstance(num_per_class, int) and 1 <= num_per_class <= len(candidates)):
        raise ValueError(
            f"num_per_class must be between 1 and {len(candidates)}, got {num_per_class}"
        )
    return tuple(sorted(candidates, key=lambda text: _stable_order(seed, text))[:num_per_class])


def _interleave(per_class: list[tuple[str, ...]]) -> tuple[list[str], list[int]]:
    """Flatten equal-length per-class lists as class 0, 1, 2, 0, 1, 2, ...: balanced prefixes."""
    texts = [text for row in zip(*per_class, strict=True) for text in row]
    labels = list(range(len(per_class))) * len(per_class[0])
    return texts, labels


def make_example_texts(
    num_per_class: int = EXAMPLES_PER_CLASS, seed: int = 0
) -> tuple[list[str], list[int]]:
    """Distinct labelled sentences, `num_per_class` per class, interleaved by class.

    The same arguments give the same texts in the same order on every machine.
    """
    return _interleave(
        [_class_sentences(label, num_per_class, seed) for label in range(len(LABEL_NAMES))]
    )


def bundled_table(num_per_class: int = EXAMPLES_PER_CLASS, seed: int = 0) -> Table:
    """The example sentences as a table with a "text" and a "label" column, one row each."""
    texts, labels = make_example_texts(num_per_class, seed)
    rows = [
        Row(line, {"text": text, "label": LABEL_NAMES[label]})
        for line, (text, label) in enumerate(zip(texts, labels, strict=True), start=1)
    ]
    return Table(BUNDLED, ("text", "label"), rows)

"""The bundled example task: short news sentences about sports, technology or food.

Sentences are generated from phrase lists, so the data ships as code: no download, no
files, identical on every machine. Each sentence joins a shared opening ("Last week",
...) to a class-specific subject, event and setting, so words like "the", "a" and "in"
appear in every class while the class keywords keep a tiny model's accuracy high.
"""

import hashlib
import itertools
from dataclasses import dataclass

LABEL_NAMES: tuple[str, ...] = ("sports", "technology", "food")
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


@dataclass(frozen=True)
class Split:
    """One split of the example data: texts and their labels, index-aligned."""

    texts: list[str]
    labels: list[int]


def _stable_order(seed: int, text: str) -> bytes:
    """Sort key for a seeded shuffle that no Python, NumPy or torch upgrade can change."""
    return hashlib.sha256(f"{seed}:{text}".encode()).digest()


def _sentence(opening: str, subject: str, event: str, setting: str) -> str:
    words = " ".join(part for part in (opening, subject, event, setting) if part)
    return words[0].upper() + words[1:] + "."


def _class_sentences(label: int, num_per_class: int, seed: int) -> list[str]:
    """`num_per_class` distinct sentences of class `label`, in seeded order."""
    topic = _TOPICS[LABEL_NAMES[label]]
    candidates = [
        _sentence(*parts)
        for parts in itertools.product(_OPENINGS, topic.subjects, topic.events, topic.settings)
    ]
    if not (isinstance(num_per_class, int) and 1 <= num_per_class <= len(candidates)):
        raise ValueError(
            f"num_per_class must be between 1 and {len(candidates)}, got {num_per_class}"
        )
    return sorted(candidates, key=lambda text: _stable_order(seed, text))[:num_per_class]


def _interleave(per_class: list[list[str]]) -> tuple[list[str], list[int]]:
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


def load_example_splits(
    seed: int = 0, val_fraction: float = 0.15, test_fraction: float = 0.15
) -> dict[str, Split]:
    """Stratified "train", "validation" and "test" splits of the example sentences.

    Every split holds every class equally often, no text is in two splits, and the
    same arguments always give the same splits.
    """
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(
            "val_fraction and test_fraction must be in [0, 1) and sum to less than 1, "
            f"got {val_fraction} and {test_fraction}"
        )
    num_per_class = EXAMPLES_PER_CLASS
    # Each class's sentences are already in seeded order, so contiguous slices are a
    # random stratified split.
    per_class = [_class_sentences(label, num_per_class, seed) for label in range(len(LABEL_NAMES))]
    num_test = round(num_per_class * test_fraction)
    num_val = round(num_per_class * val_fraction)
    bounds = {
        "train": (num_test + num_val, num_per_class),
        "validation": (num_test, num_test + num_val),
        "test": (0, num_test),
    }
    return {
        name: Split(*_interleave([sentences[start:stop] for sentences in per_class]))
        for name, (start, stop) in bounds.items()
    }

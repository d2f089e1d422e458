"""Real data nobody here wrote, made at test time from what is installed on the machine.

- scikit-learn's bundled tables (breast cancer, wine), written to CSV as a user would export
  them: one numeric column per feature and a text "label" column.
- A text corpus: the first sentence of the docstrings of public functions of three
  installed libraries, labelled by library. Nothing is downloaded.
"""

import csv
import importlib
import inspect
import random
import re
from pathlib import Path

from sklearn.datasets import load_breast_cancer, load_wine

TABLES = {"breast_cancer": load_breast_cancer, "wine": load_wine}

# Modules whose public functions document one library each, and how many sentences to take.
LIBRARIES = {
    "numpy": ("numpy", "numpy.linalg", "numpy.random", "numpy.fft", "numpy.ma"),
    "torch": ("torch", "torch.nn.functional", "torch.linalg", "torch.fft", "torch.special"),
    "sklearn": (
        "sklearn.metrics",
        "sklearn.utils",
        "sklearn.preprocessing",
        "sklearn.model_selection",
        "sklearn.linear_model",
        "sklearn.datasets",
        "sklearn.feature_extraction.text",
    ),
}
SENTENCES_PER_LIBRARY = 256
SIGNATURE = re.compile(r"^[\w.]+\(.*\)")  # "add(input, other) -> Tensor" is no sentence
SENTENCE = re.compile(r"(.+?[.!?])(\s|$)")


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def sklearn_table(name: str, folder: Path) -> Path:
    """scikit-learn's bundled table `name` as a CSV with its feature names and class names."""
    bunch = TABLES[name]()
    rows = [
        [*features, bunch.target_names[target]]
        for features, target in zip(bunch.data.tolist(), bunch.target, strict=True)
    ]
    return write_csv(folder / f"{name}.csv", [*bunch.feature_names, "label"], rows)


def first_sentence(docstring: str) -> str:
    """The first sentence of the first paragraph that is not a call signature."""
    paragraphs = [
        paragraph.strip()
        for paragraph in inspect.cleandoc(docstring).split("\n\n")
        if paragraph.strip() and not SIGNATURE.match(paragraph.strip())
    ]
    if not paragraphs:
        return ""
    text = " ".join(paragraphs[0].split())
    match = SENTENCE.match(text)
    return match.group(1) if match else text


def docstring_corpus() -> list[tuple[str, str]]:
    """(sentence, library) pairs: SENTENCES_PER_LIBRARY distinct sentences of 3+ words each."""
    corpus = []
    for library, modules in LIBRARIES.items():
        seen: set[str] = set()
        for module_name in modules:
            module = importlib.import_module(module_name)
            for name, value in sorted(vars(module).items()):
                docstring = inspect.getdoc(value) if callable(value) else None
                if name.startswith("_") or not docstring:
                    continue
                sentence = first_sentence(docstring)
                if len(sentence.split()) >= 3 and sentence not in seen:
                    seen.add(sentence)
                    corpus.append((sentence, library))
                if len(seen) == SENTENCES_PER_LIBRARY:
                    break
            if len(seen) == SENTENCES_PER_LIBRARY:
                break
    return corpus


def docstring_splits(folder: Path, seed: int = 0) -> dict[str, Path]:
    """The corpus shuffled with `seed` and cut 70/15/15 into train, validation and test CSVs."""
    corpus = docstring_corpus()
    random.Random(seed).shuffle(corpus)
    cut = {"train": (0, 0.70), "validation": (0.70, 0.85), "test": (0.85, 1.0)}
    return {
        name: write_csv(
            folder / f"docstrings_{name}.csv",
            ["text", "label"],
            [list(row) for row in corpus[int(start * len(corpus)) : int(stop * len(corpus))]],
        )
        for name, (start, stop) in cut.items()
    }


def docstring_folds(folder: Path, folds: int, seed: int = 0) -> list[tuple[Path, Path]]:
    """The corpus cut into `folds` (train CSV, test CSV) pairs for cross-validation: every
    sentence is in exactly one test file. Sentences equal up to case and spacing share a
    fold, as the project's splits keep identical inputs together."""
    corpus = [
        (" ".join(text.casefold().split()), text, label) for text, label in docstring_corpus()
    ]
    groups = sorted({group for group, _, _ in corpus})
    random.Random(seed).shuffle(groups)
    fold_of = {group: index % folds for index, group in enumerate(groups)}
    pairs = []
    for fold in range(folds):
        train: list[list[object]] = []
        test: list[list[object]] = []
        for group, text, label in corpus:
            (test if fold_of[group] == fold else train).append([text, label])
        header = ["text", "label"]
        pairs.append(
            (
                write_csv(folder / f"docstrings_train_{fold}.csv", header, train),
                write_csv(folder / f"docstrings_test_{fold}.csv", header, test),
            )
        )
    return pairs


def read_csv(path: Path) -> tuple[list[str], list[str]]:
    """Texts and labels of a corpus CSV."""
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return [row["text"] for row in rows], [row["label"] for row in rows]

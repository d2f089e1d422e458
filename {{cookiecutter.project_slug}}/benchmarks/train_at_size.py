"""Training at a real size, side by side with scikit-learn, in one run (README, "Training at size").

    python benchmarks/train_at_size.py [--rows 20000] [--only text,tabular,fit,load,predict]

Generates its data at run time (nothing is downloaded) in a temporary folder and prints one
line per figure, each a ratio of two timings of the same run, so a slower or busier machine
slows both sides alike; it also prints the load average, because four busy processes on two
cores do not. scikit-learn is needed here only (`pip install scikit-learn`), never by the
package itself.

- fit: ``fit``'s training examples per second against a minimal hand-written loop (the same
  model, batch size and fused AdamW over pre-built tensors). Goal >= 0.5.
- text: ``train`` end to end (a fresh process) on a 20,000-row text CSV against TF-IDF +
  logistic regression on the same split. Goal <= 2x its wall time, accuracy >= the
  checkpoint's naive-Bayes baseline.
- tabular: ``train`` end to end on a 20,000 x 8 table of 3 classes. Goal <= 10 s, accuracy
  within 1 point of HistGradientBoosting.
- load: ``load_checkpoint`` against a bare ``torch.load(weights_only=True)`` of the same
  file. Goal <= 3x.
- predict: ``predict`` on one text, end to end (a fresh process).
"""

import argparse
import csv
import itertools
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

MODULE = "{{ cookiecutter.module_name }}"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from {{ cookiecutter.module_name }}.checkpoint import load_checkpoint  # noqa: E402
from {{ cookiecutter.module_name }}.inference import Predictor  # noqa: E402
from {{ cookiecutter.module_name }}.task import (  # noqa: E402
    DataSpec,
    build_classifier,
    fit_preprocessing,
    load_data,
    score,
    training_loaders,
)
from {{ cookiecutter.module_name }}.training import TrainConfig, fit, seed_everything  # noqa: E402

CLASSES = ("billing", "shipping", "technical", "account")
VOCABULARY_SIZE = 6000
INDICATIVE_WORDS = 60  # per class, drawn from the vocabulary's long tail
INDICATIVE_SHARE = 0.3  # chance that a word of a text is one of its class's words
LABEL_NOISE = 0.05


def write_text_csv(path: Path, rows: int, seed: int = 0) -> None:
    """Texts of 8-30 words from a Zipfian vocabulary; a share of each text's words come from
    its class's own words (which other classes use too, less often); 5% of the labels are
    replaced by a random class; a third of the texts carry a one-off reference id."""
    generator = random.Random(seed)
    words = [f"w{index}" for index in range(VOCABULARY_SIZE)]
    zipf = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(VOCABULARY_SIZE)))
    tail = words[200:]
    indicative = {label: generator.sample(tail, INDICATIVE_WORDS) for label in CLASSES}
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["text", "label"])
        for index in range(rows):
            label = generator.choice(CLASSES)
            # Another class's words come up too, so a single word rarely decides.
            others = [other for other in CLASSES if other != label]
            text = generator.choices(words, cum_weights=zipf, k=generator.randint(8, 30))
            for position in range(len(text)):
                draw = generator.random()
                if draw < INDICATIVE_SHARE:
                    text[position] = generator.choice(indicative[label])
                elif draw < INDICATIVE_SHARE * 1.4:
                    text[position] = generator.choice(indicative[generator.choice(others)])
            if generator.random() < 1 / 3:
                text.append(f"ref{index:06d}")
            if generator.random() < LABEL_NOISE:
                label = generator.choice(CLASSES)
            writer.writerow([" ".join(text), label])


def write_tabular_csv(path: Path, rows: int, seed: int = 0) -> None:
    from sklearn.datasets import make_classification

    features, labels = make_classification(
        n_samples=rows,
        n_features=8,
        n_informative=6,
        n_redundant=1,
        n_classes=3,
        n_clusters_per_class=2,
        flip_y=0.02,
        random_state=seed,
    )
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*(f"x{column}" for column in range(8)), "label"])
        for row, label in zip(features.tolist(), labels.tolist(), strict=True):
            writer.writerow([*(f"{value:.6g}" for value in row), f"class_{label}"])


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def cli(*arguments: str) -> float:
    """Wall time of one `python -m <module> ...` in a fresh process (imports included)."""
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", MODULE, *arguments],
        check=True,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def model_accuracy(checkpoint: Path) -> dict[str, object]:
    """The checkpoint's accuracy and baselines on the test split it was trained with."""
    predictor = Predictor(checkpoint)
    from {{ cookiecutter.module_name }}.task import recorded_test_split

    return score(predictor, recorded_test_split(predictor))


def split_of(path: Path) -> dict[str, tuple[list[object], list[str]]]:
    """The project's own train and test split of a file, for scikit-learn to fit on."""
    splits = load_data(DataSpec(path=path)).splits
    return {name: (list(splits[name].inputs), list(splits[name].labels)) for name in splits}


def bench_text(folder: Path, rows: int, train_args: list[str]) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    data, out = folder / "text.csv", folder / "text.pt"
    write_text_csv(data, rows)
    splits = split_of(data)

    def tfidf() -> float:
        (train_x, train_y), (test_x, test_y) = splits["train"], splits["test"]
        pipeline = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
        pipeline.fit(train_x, train_y)
        return float(pipeline.score(test_x, test_y))

    sklearn_seconds, sklearn_accuracy = timed(tfidf)
    train_seconds = cli("train", "--data", str(data), "--out", str(out), *train_args)
    scored = model_accuracy(out)
    report(
        "text",
        f"train {train_seconds:.1f} s, accuracy {scored['accuracy']:.3f}; TF-IDF + logistic "
        f"regression {sklearn_seconds:.1f} s, accuracy {sklearn_accuracy:.3f}; baselines "
        f"{format_baselines(scored)}",
        f"{train_seconds / sklearn_seconds:.2f}x the wall time (goal <= 2)",
    )
    sizes = ", ".join(
        f"{file.name} {file.stat().st_size} B"
        for file in sorted(folder.glob("text.*"))
        if file.suffix != ".csv"
    )
    report("sizes", sizes, "")
    bench_load(out)
    predict_seconds = cli(
        "predict", "--model", str(out), *thread_args(train_args), "one text w1 w2"
    )
    report("predict", f"one text end to end {predict_seconds:.2f} s", "")


def thread_args(train_args: list[str]) -> list[str]:
    """The --threads option of the train arguments, which predict takes too."""
    if "--threads" in train_args:
        index = train_args.index("--threads")
        return train_args[index : index + 2]
    return []


def format_baselines(scored: dict[str, object]) -> str:
    baselines = scored["baselines"]
    assert isinstance(baselines, dict)
    return ", ".join(f"{name} {value:.3f}" for name, value in baselines.items())


def bench_tabular(folder: Path, rows: int, train_args: list[str]) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    data, out = folder / "table.csv", folder / "table.pt"
    write_tabular_csv(data, rows)
    splits = split_of(data)

    def boosting() -> float:
        (train_x, train_y), (test_x, test_y) = splits["train"], splits["test"]
        model = HistGradientBoostingClassifier(random_state=0).fit(train_x, train_y)
        return float(model.score(test_x, test_y))

    boosting_seconds, boosting_accuracy = timed(boosting)
    train_seconds = cli("train", "--data", str(data), "--out", str(out), *train_args)
    scored = model_accuracy(out)
    gap = 100 * (boosting_accuracy - float(scored["accuracy"]))  # type: ignore[arg-type]
    report(
        "tabular",
        f"train {train_seconds:.1f} s (goal <= 10), accuracy {scored['accuracy']:.3f}; "
        f"HistGradientBoosting {boosting_seconds:.1f} s, accuracy {boosting_accuracy:.3f}; "
        f"baselines {format_baselines(scored)}",
        f"{gap:+.1f} points behind (goal <= 1)",
    )


def bench_load(checkpoint: Path, repeats: int = 3) -> None:
    bare = min(timed(lambda: torch.load(checkpoint, weights_only=True))[0] for _ in range(repeats))
    full = min(timed(lambda: load_checkpoint(checkpoint))[0] for _ in range(repeats))
    report(
        "load",
        f"load_checkpoint {full:.3f} s, torch.load(weights_only=True) {bare:.3f} s",
        f"{full / bare:.2f}x (goal <= 3)",
    )


def bench_fit(folder: Path, rows: int) -> None:
    """One epoch of ``fit`` against a hand-written loop over the same pre-built tensors."""
    data = folder / "fit.csv"
    write_text_csv(data, rows)
    config = TrainConfig(epochs=1)
    prepared = load_data(DataSpec(path=data))
    preprocessing = fit_preprocessing(prepared, config, log=None)
    train_loader, val_loader = training_loaders(prepared, preprocessing, config)
    num_classes = len(prepared.label_names)
    examples = len(prepared.splits["train"])
    batch_size = train_loader.batch_size  # the default, chosen from the split's size

    def build() -> nn.Module:
        seed_everything(0)
        return build_classifier(config, prepared.task, num_classes, preprocessing)

    # The first optimizer of a process imports torch._dynamo (about a second): not fit's cost.
    torch.optim.AdamW([torch.zeros(1, requires_grad=True)], fused=True)
    model = build()
    fit_seconds, _ = timed(lambda: fit(model, train_loader, val_loader, config, log=None))
    assert preprocessing.tokenizer is not None
    assert preprocessing.max_length is not None
    texts = [str(text) for text in prepared.splits["train"].inputs]
    inputs = preprocessing.tokenizer.encode_batch(texts, preprocessing.max_length)
    labels = torch.tensor(prepared.labels("train"))
    model = build()

    def hand_written() -> None:
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=config.lr, weight_decay=config.weight_decay, fused=True
        )
        model.train()
        for batch in torch.randperm(examples).split(batch_size):
            optimizer.zero_grad(set_to_none=True)
            logits = model(inputs["input_ids"][batch], inputs["attention_mask"][batch])
            nn.functional.cross_entropy(logits, labels[batch]).backward()
            optimizer.step()

    hand_seconds, _ = timed(hand_written)
    report(
        "fit",
        f"fit {examples / fit_seconds:.0f} examples/s (with its validation pass), hand-written "
        f"loop {examples / hand_seconds:.0f} examples/s, batch size {batch_size}",
        f"{hand_seconds / fit_seconds:.2f} of the hand-written speed (goal >= 0.5)",
    )


def report(name: str, figures: str, ratio: str) -> None:
    print(f"{name:8} {figures}" + (f"  ->  {ratio}" if ratio else ""), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows of each generated file")
    parser.add_argument("--only", default="fit,text,tabular", help="comma-separated benchmarks")
    parser.add_argument(
        "--train-args", default="", help="extra `train` options, e.g. '--threads 2'"
    )
    args = parser.parse_args()
    train_args = args.train_args.split()
    chosen = set(args.only.split(","))
    torch.set_num_threads(1)  # in this process; each `train` chooses its own
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if "fit" in chosen:
            bench_fit(folder, args.rows)
        if "text" in chosen:
            bench_text(folder, args.rows, train_args)
        if "tabular" in chosen:
            bench_tabular(folder, args.rows, train_args)
    print(f"load average {os.getloadavg()[0]:.2f} at the end", flush=True)


if __name__ == "__main__":
    main()

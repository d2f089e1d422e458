"""The generated project on images nobody here drew by hand, used the way its README says.

Two folders of class folders, written at test time (nothing is downloaded), train the
default CNN through the CLI (`train --data DIR`, then `evaluate`) to stated accuracies,
beside the baselines the checkpoint holds (majority class, logistic regression on 8 x 8
grayscale thumbnails):

- scikit-learn's `load_digits`: 1,797 8 x 8 grayscale digits saved as PNG files;
- rectangles whose class is their shape (square, tall 1:2, wide 2:1), drawn at random
  sizes, positions and colours on canvases of random aspect ratio (1:2 to 2:1), saved in
  mixed modes (RGB, L, RGBA, palette) and formats (PNG, JPEG). Stretching every canvas to a
  square makes a square on a wide canvas a tall rectangle: with the resize stretched
  instead of letterboxed, this set scored 0.76 and 0.78 (measured, seeds 0 and 1 for the
  data and the training), under the 0.95 asked here; letterboxed, 0.989 to 1.000 (seeds
  0 to 2).

The figures are printed in the run's "figures" section. Both need torchvision (the
generated project's images extra), which scripts/setup-venv.sh installs with torch.
"""

import random
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sklearn.datasets import load_digits
from test_own_data import train_and_evaluate

FLOOR = 0.95  # issue 22's bar for both sets
SHAPE_ASPECTS = {"square": 1.0, "tall": 0.5, "wide": 2.0}  # the rectangle's width / height
# Every mode and format a folder of exported images mixes; one in six of each class.
SAVED_AS = [("RGB", ".png"), ("L", ".png"), ("RGBA", ".png"), ("P", ".png")]
SAVED_AS += [("RGB", ".jpg"), ("L", ".jpg")]


@pytest.fixture
def project(tmp_path, default_project) -> Path:
    """A private copy of the default project (the commands write their checkpoints into
    it); images need no edit to task.py."""
    return shutil.copytree(default_project, tmp_path / default_project.name)


def digits_folder(root: Path) -> Path:
    """load_digits as 8 x 8 grayscale PNGs (its 0-16 levels scaled to 0-255), one folder
    per digit."""
    digits = load_digits()
    for index, (pixels, digit) in enumerate(zip(digits.images, digits.target, strict=True)):
        folder = root / str(digit)
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray((pixels * 255 / 16).round().astype("uint8")).save(folder / f"{index}.png")
    return root


def shapes_folder(root: Path, per_class: int = 200, seed: int = 0) -> Path:
    """Bright rectangles of SHAPE_ASPECTS on dark canvases 16-40 pixels wide and half to
    twice as high (8-40), each at a random size (50-90% of what fits), position and colour."""
    rng = random.Random(seed)
    for shape, aspect in SHAPE_ASPECTS.items():
        (root / shape).mkdir(parents=True)
        for index in range(per_class):
            width = rng.randint(16, 40)
            height = max(8, min(40, round(width * rng.uniform(0.5, 2.0))))
            canvas = Image.new("RGB", (width, height), tuple(rng.randint(0, 90) for _ in "rgb"))
            scale = rng.uniform(0.5, 0.9) * min(width / max(aspect, 1), height * min(aspect, 1))
            box_width = min(scale * max(aspect, 1), width - 1)
            box_height = min(scale / min(aspect, 1), height - 1)
            left, top = rng.uniform(0, width - box_width), rng.uniform(0, height - box_height)
            colour = tuple(rng.randint(160, 255) for _ in "rgb")
            box = (left, top, left + box_width, top + box_height)
            ImageDraw.Draw(canvas).rectangle(box, fill=colour)
            mode, suffix = SAVED_AS[index % len(SAVED_AS)]
            palette = {"palette": Image.Palette.ADAPTIVE} if mode == "P" else {}
            canvas.convert(mode, **palette).save(root / shape / f"{index}{suffix}")
    return root


class TestRealImages:
    def test_digits_and_shapes_train_above_the_floor_and_the_baselines(
        self, project, project_python, tmp_path, record_property
    ):
        """Each set, trained through the CLI (both in one process: one start of Python,
        torch and torchvision), reaches a test accuracy of at least 0.95, above both
        baselines. The shapes fail it if aspect ratios are distorted or a mode is misread."""
        sets = {
            "digits as PNGs": digits_folder(tmp_path / "digits"),
            "shapes in mixed modes": shapes_folder(tmp_path / "shapes"),
        }
        runs = [["--data", folder] for folder in sets.values()]
        for name, (metrics, seconds) in zip(
            sets, train_and_evaluate(project_python, project, *runs), strict=True
        ):
            record_property(
                "figure",
                f"{name}: test accuracy {metrics['accuracy']:.3f} on {metrics['examples']} "
                f"images; baselines {rounded(metrics['baselines'])}; CLI train {seconds:.1f} s",
            )
            assert metrics["accuracy"] >= FLOOR, (name, metrics)
            assert metrics["beats_baselines"], (name, metrics)


def rounded(scores: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 3) for name, value in scores.items()}

"""Images end to end: what serving computes for an image is what training computed for it,
and the commands take image files and folders.

Train/serve skew is the silent bug here: a resize, crop, channel order or normalisation that
differs at serving still gives predictions, only worse ones. The Predictor's tensor for an
image must therefore equal, exactly, the tensor the training pipeline made of it.
"""

import json
import shutil
import sys

import pytest
import torch
from conftest import save_image, write_image_folder

from {{ cookiecutter.module_name }}.cli import main
from {{ cookiecutter.module_name }}.data import DataError, examples_from_folder
from {{ cookiecutter.module_name }}.inference import Predictor
from {{ cookiecutter.module_name }}.task import (
    fit_preprocessing,
    load_data,
    recorded_test_split,
    spec_from_source,
    training_loaders,
)
from {{ cookiecutter.module_name }}.training import TrainConfig

# (height, width) of served images: tall, wide, a 1-pixel strip, larger, smaller, square.
SERVED_SHAPES = [(30, 12), (12, 40), (1, 9), (50, 50), (7, 5), (12, 12)]


@pytest.fixture(scope="module")
def predictor(trained_images) -> Predictor:
    return Predictor(trained_images.checkpoint)


class TestTrainServeParity:
    def test_the_predictor_sees_what_training_evaluated(self, trained_images, predictor):
        """For every validation image, the Predictor's input tensor equals the training
        pipeline's (unaugmented) one exactly, preprocessing rebuilt from the checkpoint.
        Catches any skew at serving: another resize, interpolation or antialiasing, a crop,
        BGR order, ImageNet constants in place of the saved statistics."""
        data = load_data(spec_from_source(predictor.data_source))
        preprocessing = fit_preprocessing(data, TrainConfig(), log=None)
        _, validation = training_loaders(data, preprocessing, TrainConfig())
        trained = torch.cat([batch["images"] for batch in validation])
        served = predictor.encode(data.splits["validation"].inputs)["images"]
        assert torch.equal(served, trained)

    def test_images_of_every_shape_are_served_as_training_makes_them(
        self, trained_images, predictor, tmp_path
    ):
        """Tall, wide, 1-pixel, larger and smaller RGB images of noise, each resized and
        padded to the trained 12 x 12, give the Predictor exactly the tensors the training
        pipeline makes of them. The trained images are already 12 x 12, so this is what
        catches a skew that shows only where an image is resized or not square: no
        antialiasing, another interpolation, a centre crop."""
        generator = torch.Generator().manual_seed(0)
        for height, width in SERVED_SHAPES:
            pixels = torch.randint(0, 256, (height, width, 3), generator=generator)
            save_image(tmp_path / "any" / f"{height}x{width}.png", pixels)
        examples = examples_from_folder(tmp_path)
        data = load_data(spec_from_source(predictor.data_source))
        preprocessing = fit_preprocessing(data, TrainConfig(), log=None)
        dataset = preprocessing.dataset(examples, [0] * len(examples), len(data.label_names))
        trained = torch.stack([dataset[index]["images"] for index in range(len(dataset))])
        served = predictor.encode(examples.inputs)["images"]
        assert torch.equal(served, trained)

    def test_the_checkpoint_holds_the_training_preprocessing(self, trained_images, predictor):
        """The saved size, channel mode and statistics are those fitted on the training
        split. Catches serving defaults (e.g. ImageNet's mean and std, RGB for grayscale)
        standing in for what training used."""
        data = load_data(spec_from_source(predictor.data_source))
        assert predictor.image_preprocessing == fit_preprocessing(data, TrainConfig(), None).image

    def test_a_prediction_does_not_depend_on_its_batch_mates(self, trained_images, predictor):
        """An image's probabilities are the same alone and in a batch (atol 1e-6). Catches
        BatchNorm left in training mode at serving."""
        images = sorted(str(path) for path in trained_images.folder.glob("*/*.png"))[:6]
        alone = predictor.predict(images[0])["probabilities"]
        together = predictor.predict_batch(images)[0]["probabilities"]
        for label, probability in alone.items():
            assert together[label] == pytest.approx(probability, abs=1e-6)


class TestImageCommands:
    def test_predict_prints_one_line_per_image_in_order(self, trained_images, capsys):
        """predict --model M a.png b.png prints one JSON object per file, in the order given."""
        images = [str(trained_images.folder / label / "0.png") for label in ("top", "left")]
        assert main(["predict", "--model", str(trained_images.checkpoint), *images]) == 0
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert [line["image"] for line in lines] == images
        assert all(set(line["probabilities"]) == {"left", "right", "top"} for line in lines)

    def test_predict_takes_a_folder(self, trained_images, capsys):
        """predict --data DIR prints one line per image file under it, in sorted order."""
        folder = trained_images.folder / "right"
        assert (
            main(["predict", "--model", str(trained_images.checkpoint), "--data", str(folder)]) == 0
        )
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert [line["image"] for line in lines] == sorted(str(p) for p in folder.glob("*.png"))

    def test_a_bad_image_is_one_line_naming_it(self, trained_images, tmp_path, capsys):
        """A corrupt file given to predict ends with exit status 1 and one line naming it."""
        (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
        code = main(
            ["predict", "--model", str(trained_images.checkpoint), str(tmp_path / "broken.png")]
        )
        error = capsys.readouterr().err
        assert code == 1
        assert error.count("\n") == 1
        assert "broken.png" in error

    def test_evaluate_scores_a_folder_beside_the_baselines(self, trained_images, capsys):
        """evaluate --data DIR reports accuracy beside the majority class and the thumbnail
        logistic regression, fitted at training and read from the checkpoint."""
        arguments = ["evaluate", "--model", str(trained_images.checkpoint)]
        assert main([*arguments, "--data", str(trained_images.folder)]) == 0
        record = json.loads(capsys.readouterr().out)
        assert record["examples"] == 30
        assert set(record["baselines"]) == {"majority_class", "logistic_regression"}

    def test_evaluate_refuses_images_changed_since_training(self, trained_images, tmp_path):
        """One image rewritten after training makes the recorded test split refuse, naming
        the data: its "test" score would be on other data than the record says."""
        folder = shutil.copytree(trained_images.folder, tmp_path / "images")
        checkpoint = tmp_path / "model.pt"
        payload = torch.load(trained_images.checkpoint, weights_only=True)
        payload["data_source"]["path"] = str(folder)
        torch.save(payload, checkpoint)
        predictor = Predictor(checkpoint)
        assert recorded_test_split(predictor)  # the copy is the same data
        save_image(folder / "left" / "0.png", torch.zeros(12, 12, 3))
        with pytest.raises(DataError, match="its images changed since the model was trained"):
            recorded_test_split(predictor)

    def test_train_refuses_an_out_inside_the_data_folder(self, tmp_path, capsys):
        """--out inside the class folders is refused before training: the checkpoint would
        be read as a stray file (or an image) by the next run."""
        folder = write_image_folder(tmp_path / "images", per_class=4)
        code = main(["train", "--data", str(folder), "--out", str(folder / "model.pt")])
        assert code == 2
        assert "inside the --data folder" in capsys.readouterr().err

    @pytest.mark.parametrize("missing", ["torchvision", "PIL"])
    def test_without_the_images_extra_one_line_names_the_install(
        self, missing, tmp_path, capsys, monkeypatch
    ):
        """torchvision or Pillow not importable: train --data DIR exits 1 with one line
        naming the missing package and the images extra, before any training, and writes no
        checkpoint. Catches an ImportError traceback for a user who installed the project
        without the extra."""
        folder = write_image_folder(tmp_path / "images", per_class=2)
        monkeypatch.setitem(sys.modules, missing, None)  # importing it now fails
        out = tmp_path / "model.pt"
        assert main(["train", "--data", str(folder), "--out", str(out)]) == 1
        error = capsys.readouterr().err
        assert error.count("\n") == 1
        assert f"{missing} is not installed" in error
        assert "[images]" in error
        assert not out.exists()

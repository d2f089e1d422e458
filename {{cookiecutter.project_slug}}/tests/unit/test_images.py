"""Image files: every file a user's folder can hold becomes the same shape or a one-line
error naming the file, and the preprocessing is what the checkpoint says it is.

Images here are a few pixels wide, written with Pillow at test time. The module needs
torchvision and Pillow (the images extra; `uv sync` installs both).
"""

import struct
import zlib
from pathlib import Path

import pytest
import torch
from conftest import save_image, write_image_folder
from PIL import Image

from {{ cookiecutter.module_name }}.data import (
    MAX_PIXELS,
    DataError,
    ImageAugmentation,
    ImagePreprocessing,
    decode_pixels,
    examples_from_folder,
    image_paths,
    inspect_image,
    letterbox,
    read_table,
)
from {{ cookiecutter.module_name }}.task import DataSpec, load_data

SIZE = 8
# Pillow mode, file suffix: every stored mode a folder of photos, scans and exports holds.
MODES = [("L", ".png"), ("RGB", ".png"), ("RGBA", ".png"), ("P", ".png"), ("LA", ".png")]
MODES += [("1", ".png"), ("I;16", ".png"), ("CMYK", ".jpg"), ("RGB", ".jpg"), ("L", ".gif")]


def solid(mode: str, size: tuple[int, int] = (6, 4), colour: object = None) -> Image.Image:
    """A Pillow image of ``mode`` and ``size`` (width, height), one colour."""
    return Image.new(mode, size, colour if colour is not None else 0)


def png_declaring(path: Path, width: int, height: int) -> Path:
    """A valid 1 x 1 PNG whose header then claims ``width`` x ``height`` (CRC fixed up): a
    decompression bomb's signature, a few dozen bytes long."""
    solid("L", (1, 1)).save(path)
    data = bytearray(path.read_bytes())
    data[16:24] = struct.pack(">II", width, height)  # IHDR: width, height
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))  # IHDR's CRC
    path.write_bytes(bytes(data))
    return path


class TestDecode:
    @pytest.mark.parametrize(("mode", "suffix"), MODES)
    @pytest.mark.parametrize("channels", ["RGB", "L"])
    def test_every_stored_mode_gives_the_saved_channel_mode(self, tmp_path, mode, suffix, channels):
        """Grayscale, RGBA, palette, 1-bit, 16-bit and CMYK files all decode to uint8 (C, H,
        W) with the channels asked for. Catches a mode passed through as it is stored (4
        channels for RGBA, uint16 values), which fails or silently misreads later."""
        path = tmp_path / f"image{suffix}"
        solid(mode).save(path)
        pixels = decode_pixels(path, channels)
        assert pixels.shape == ({"RGB": 3, "L": 1}[channels], 4, 6)
        assert pixels.dtype == torch.uint8

    def test_sixteen_bit_values_are_scaled_to_eight_bits(self, tmp_path):
        """A 16-bit PNG's full scale 65535 becomes 255, not 65535 wrapped or clipped.
        Catches a cast instead of a rescale, which turns bright 16-bit scans into noise."""
        solid("I;16", colour=65535).save(tmp_path / "deep.png")
        assert decode_pixels(tmp_path / "deep.png", "L").unique().tolist() == [255]

    def test_red_stays_in_the_first_channel(self, tmp_path):
        """A pure red image decodes to (255, 0, 0) in RGB order. Catches BGR channel order
        (OpenCV's), which swaps red and blue for every image the model sees."""
        solid("RGB", colour=(255, 0, 0)).save(tmp_path / "red.png")
        pixels = decode_pixels(tmp_path / "red.png", "RGB")
        assert pixels[:, 0, 0].tolist() == [255, 0, 0]

    def test_the_exif_orientation_is_applied(self, tmp_path):
        """A 6 x 4 photo tagged "rotate 90 degrees clockwise" (orientation 6, as phones
        write) decodes 4 wide and 6 high, its marked top-left corner now top-right.
        Catches EXIF ignored: every portrait phone photo is seen lying on its side."""
        image = solid("L")
        image.putpixel((0, 0), 255)
        exif = image.getexif()
        exif[0x0112] = 6  # Orientation
        image.save(tmp_path / "phone.jpg", exif=exif, quality=100)
        pixels = decode_pixels(tmp_path / "phone.jpg", "L")[0]
        assert pixels.shape == (6, 4)
        assert pixels[0, -1] > 128
        assert pixels[0, 0] < 128

    def test_an_animated_gif_gives_its_first_frame(self, tmp_path):
        """A GIF of a white then a black frame decodes to one white (C, H, W) image. Catches
        the frames stacked as a batch (a shape error later) or the last frame kept."""
        frames = [solid("L", colour=255), solid("L", colour=0)]
        frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
        pixels = decode_pixels(tmp_path / "anim.gif", "RGB")
        assert pixels.shape == (3, 4, 6)
        assert pixels.min() > 200


class TestRefusedFiles:
    def test_a_truncated_file_is_refused_naming_it(self, tmp_path):
        """A PNG cut in half raises one line naming the file. Catches a traceback from
        deep inside the decoder, or a half-grey image trained on."""
        path = save_image(tmp_path / "cut.png", torch.randint(0, 255, (32, 32)))
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        with pytest.raises(DataError, match=r"cut\.png: cannot decode .*corrupt") as error:
            decode_pixels(path, "L")
        assert "\n" not in str(error.value)

    def test_a_file_that_is_no_image_is_refused_naming_it(self, tmp_path):
        """A text file named .png raises one line naming it and saying it is no image."""
        (tmp_path / "notes.png").write_text("not pixels")
        with pytest.raises(DataError, match=r"notes\.png: not an image file"):
            inspect_image(tmp_path / "notes.png")

    def test_an_empty_file_is_refused_naming_it(self, tmp_path):
        """A zero-byte file (an interrupted copy) raises one line naming it."""
        (tmp_path / "empty.jpg").touch()
        with pytest.raises(DataError, match=r"empty\.jpg: the file is empty"):
            inspect_image(tmp_path / "empty.jpg")

    @pytest.mark.parametrize("side", [9_000, 100_000])
    def test_a_decompression_bomb_is_refused_before_it_is_decoded(
        self, tmp_path, monkeypatch, side
    ):
        """A 70-byte PNG declaring side x side pixels (above MAX_PIXELS; the larger also
        above Pillow's own limit) is refused from its header: the decoder is never called.
        Catches a size check after decoding, by which time gigabytes are allocated."""
        import torchvision.io

        assert side * side > MAX_PIXELS
        path = png_declaring(tmp_path / "bomb.png", side, side)

        def decoder_called(*args, **kwargs):
            raise AssertionError("the bomb reached the decoder")

        monkeypatch.setattr(torchvision.io, "decode_image", decoder_called)
        with pytest.raises(DataError, match=r"bomb\.png: .*decompression bomb"):
            decode_pixels(path, "L")


class TestLetterbox:
    @pytest.mark.parametrize(("height", "width"), [(1, 1), (1, 40), (40, 1), (3, 17), (8, 8)])
    def test_any_shape_becomes_the_saved_square(self, height, width):
        """Tall, wide, 1 x N and square images all become (C, SIZE, SIZE). Catches a
        resize of the shorter side (a 1 x 40 strip would become 8 x 320) and a rounding
        that shrinks a 1-pixel side to 0."""
        image = torch.randint(0, 256, (3, height, width), dtype=torch.uint8)
        assert letterbox(image, SIZE).shape == (3, SIZE, SIZE)

    def test_the_aspect_ratio_is_kept_with_black_bars(self):
        """A white 4 x 8 image becomes a white 4-row band between black rows. Catches a
        stretch to the square, which changes every shape's proportions."""
        wide = torch.full((1, 4, 8), 255, dtype=torch.uint8)
        boxed = letterbox(wide, SIZE)[0]
        assert boxed[2:6].min() == 255
        assert boxed[:2].max() == 0
        assert boxed[6:].max() == 0

    def test_nothing_is_cropped(self):
        """A wide image's outermost columns survive, downscaled: a white column at each end
        of a black 8 x 32 image is still visible at both ends. Catches a centre crop,
        which cuts the sides of every wide photo away."""
        wide = torch.zeros(1, 8, 32, dtype=torch.uint8)
        wide[..., :4] = wide[..., -4:] = 255
        band = letterbox(wide, SIZE)[0, 3:5]
        assert band[:, 0].min() > 128
        assert band[:, -1].min() > 128
        assert band[:, SIZE // 2].max() < 64

    def test_downscaling_is_antialiased(self):
        """Uniform noise downscaled 8 times averages out: its pixels' std falls from 74 to
        under 15 (measured: 6.6 antialiased, 41 bilinear without antialiasing, 70 nearest).
        Catches a resize without antialiasing, which samples a few pixels of each 8 x 8
        area and keeps the noise (and the aliasing of every fine texture)."""
        generator = torch.Generator().manual_seed(0)
        noise = torch.randint(0, 256, (1, 64, 64), generator=generator, dtype=torch.uint8)
        assert letterbox(noise, SIZE).float().std() < 15

    def test_upscaling_is_bilinear(self):
        """A black and a white pixel upscaled to SIZE give grey steps between them.
        Catches nearest-neighbour interpolation (only 0 and 255) where bilinear was saved."""
        pair = torch.tensor([[[0, 255]]], dtype=torch.uint8)
        upscaled = letterbox(pair, SIZE)[0, SIZE // 2 - 2 : SIZE // 2 + 2]
        assert ((upscaled > 20) & (upscaled < 235)).any()


class TestImagePreprocessing:
    def test_normalised_training_pixels_have_mean_0_and_std_1(self):
        """Pixels normalised with the statistics fitted on them have each channel's mean 0
        and std 1 (within 1e-4). Catches other constants (ImageNet's) used in place of the
        fitted ones, and channels normalised with each other's statistics."""
        pixels = torch.randint(0, 256, (16, 3, SIZE, SIZE), dtype=torch.uint8)
        pixels[:, 0] //= 4  # channels of different brightness
        fitted = ImagePreprocessing.fit(pixels, "RGB")
        images = fitted.normalize(pixels)
        torch.testing.assert_close(images.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-4, rtol=0)
        std = images.std(dim=(0, 2, 3), correction=0)
        torch.testing.assert_close(std, torch.ones(3), atol=1e-4, rtol=0)

    def test_round_trips_through_plain_data(self):
        """to_dict then from_dict gives an equal preprocessing. Catches a field left out of
        the checkpoint, which serving would then take from its default."""
        fitted = ImagePreprocessing(12, "RGB", (0.1, 0.2, 0.3), (0.4, 0.5, 0.6))
        assert ImagePreprocessing.from_dict(fitted.to_dict()) == fitted

    @pytest.mark.parametrize(
        "change", [{"size": 0}, {"channels": "BGR"}, {"std": [0.0]}, {"mean": [float("nan")]}]
    )
    def test_a_damaged_record_is_refused(self, change):
        """A size of 0, an unknown channel mode, a std of 0 or a NaN mean raises ValueError.
        Catches a crafted checkpoint that serves garbage (or divides by zero)."""
        state = ImagePreprocessing(8, "L", (0.5,), (0.25,)).to_dict() | change
        with pytest.raises(ValueError, match=r"size|channel|std|finite"):
            ImagePreprocessing.from_dict(state)


class TestImageAugmentation:
    def test_changes_images_and_keeps_their_shape(self, fixed_seed):
        """Crops and flips give a batch of the same shape that differs from the input."""
        images = torch.randn(4, 3, SIZE, SIZE)
        augmented = ImageAugmentation(crop_scale=0.5, flip=0.5)(images)
        assert augmented.shape == images.shape
        assert not torch.equal(augmented, images)

    def test_draws_anew_for_every_image(self, fixed_seed):
        """Eight copies of one image come out as at least four different images. Catches
        one crop and one flip drawn for the whole batch (what v2 does given a batch)."""
        images = torch.randn(1, 1, SIZE, SIZE).expand(8, -1, -1, -1)
        augmented = ImageAugmentation(crop_scale=0.3, flip=0.5)(images)
        assert len({tuple(image.flatten().tolist()) for image in augmented}) >= 4

    def test_is_reproducible_under_a_seed(self):
        """The same seed gives the same augmented batch (torch's global RNG)."""
        images = torch.randn(4, 1, SIZE, SIZE)
        augment = ImageAugmentation(crop_scale=0.5, flip=0.5)
        torch.manual_seed(3)
        first = augment(images)
        torch.manual_seed(3)
        assert torch.equal(augment(images), first)


class TestImageSources:
    def test_classes_are_the_folder_names_in_the_project_order(self, tmp_path):
        """Folders "10", "9" and "100" become classes "9", "10", "100" (numbers in numeric
        order), whatever order the file system lists them in. Catches directory-listing
        order, which renumbers the classes on another machine."""
        for number, name in enumerate(("10", "9", "100")):
            for index in range(4):
                pixels = torch.full((4, 4), 10 * index + number)  # distinct files
                save_image(tmp_path / name / f"{index}.png", pixels)
        data = load_data(DataSpec(path=tmp_path, validation_fraction=0.25, test_fraction=0.25))
        assert data.label_names == ("9", "10", "100")

    def test_every_image_keeps_its_folders_label(self, tmp_path):
        """Each example's label is the name of the class folder its file is in."""
        examples = examples_from_folder(write_image_folder(tmp_path, per_class=3))
        for image, label in zip(examples.inputs, examples.labels, strict=True):
            assert Path(image.path).parent.name == label

    def test_hidden_files_are_skipped(self, tmp_path):
        """A .DS_Store beside the images is not read as an image."""
        root = write_image_folder(tmp_path, per_class=2)
        (root / "left" / ".DS_Store").write_bytes(b"\0\1")
        assert len(examples_from_folder(root)) == 6

    def test_a_non_image_in_a_class_folder_is_refused_naming_it(self, tmp_path):
        """A README in a class folder raises one line naming it, before anything trains."""
        root = write_image_folder(tmp_path, per_class=2)
        (root / "top" / "README.txt").write_text("these are the top ones")
        with pytest.raises(DataError, match=r"top/README\.txt: not an image file"):
            examples_from_folder(root)

    def test_a_file_beside_the_class_folders_is_refused(self, tmp_path):
        """An image at the top of the folder has no class: refused, naming it."""
        root = write_image_folder(tmp_path, per_class=2)
        save_image(root / "stray.png", torch.zeros(4, 4))
        with pytest.raises(DataError, match=r"stray\.png: a file beside the class folders"):
            examples_from_folder(root)

    def test_class_folders_are_refused_as_a_regression_target(self, tmp_path):
        """--target regression on class folders is refused: folder names are classes."""
        root = write_image_folder(tmp_path, per_class=2)
        with pytest.raises(DataError, match="class folders hold classes"):
            examples_from_folder(root, target="regression")

    def test_a_folder_without_images_is_refused(self, tmp_path):
        """Empty class folders (or none) are refused, saying the layout expected."""
        (tmp_path / "cats").mkdir()
        with pytest.raises(DataError, match=r"no images in class folders \(expected"):
            examples_from_folder(tmp_path)

    def test_only_a_folder_lists_images(self, tmp_path):
        """image_paths of a file (not a folder) is refused in one line."""
        path = save_image(tmp_path / "one.png", torch.zeros(4, 4))
        with pytest.raises(DataError, match=r"one\.png: not a folder"):
            image_paths(path)

    @pytest.mark.parametrize(
        ("rows", "spec", "message"),
        [
            ([{"path": "a.png", "label": "x"}], {}, r"no column 'file' .*--image-column"),
            ([{"file": "a.png", "kind": "x"}], {}, r"no label column 'label' .*--label-column"),
            ([{"file": " ", "label": "x"}], {}, r"images\.csv:2, column 'file': an image path"),
        ],
    )
    def test_a_table_of_images_is_checked(self, tmp_path, write_table, rows, spec, message):
        """A missing image or label column, or a blank path, is refused naming the table."""
        table = write_table(tmp_path / "images.csv", rows)
        with pytest.raises(DataError, match=message):
            load_data(DataSpec(path=table, image_column="file", **spec))

    def test_a_table_of_images_can_hold_numbers_to_regress(self, tmp_path, write_table):
        """With --target regression the label column's numbers are the targets."""
        write_image_folder(tmp_path / "files", per_class=4)
        paths = sorted(tmp_path.glob("files/*/*.png"))
        rows = [
            {"file": p.relative_to(tmp_path).as_posix(), "label": i} for i, p in enumerate(paths)
        ]
        table = write_table(tmp_path / "images.csv", rows)
        data = load_data(DataSpec(path=table, image_column="file", target="regression"))
        values = sorted(value for split in data.splits.values() for value in split.values())
        assert values == [float(index) for index in range(len(paths))]

    def test_a_table_names_images_relative_to_itself(self, tmp_path, write_table):
        """An image column's paths are read from the table's folder, not the working
        directory; a missing file is refused naming the table's line and the file."""
        write_image_folder(tmp_path / "files", per_class=4)
        rows = [
            {"file": "files/left/0.png", "label": "a"},
            {"file": "files/gone.png", "label": "b"},
        ]
        table = write_table(tmp_path / "images.csv", rows)
        spec = DataSpec(path=table, image_column="file")
        with pytest.raises(DataError, match=r"images\.csv:3, column 'file': .*gone\.png: no such"):
            load_data(spec)
        assert read_table(table).rows[0].values["file"] == "files/left/0.png"

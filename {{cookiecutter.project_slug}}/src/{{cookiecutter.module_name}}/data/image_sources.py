"""Labelled image files from a folder of class folders, or from a table naming the files.

Both become ``Examples`` of the "image" task whose inputs are ``ImageFile``s (path, SHA-256,
header), checked and split by the same code as text and tables: ``split_examples`` keeps
byte-identical files in one split, ``label_names`` numbers the classes in a stable order.

- A folder: one sub-folder per class, named after it (torchvision's ``ImageFolder``
  convention), its images in it or in folders below it. Hidden files (".DS_Store") are
  skipped; any other file must be an image, and a file beside the class folders is refused.
- A table (CSV or JSON Lines): an image column holding each file's path, relative to the
  table's folder (or absolute), and a label column.

``images_digest`` is what a checkpoint records about the image files: a SHA-256 over every
file's path (relative to the data's root) and bytes, so ``evaluate`` can tell whether the
images changed since training.
"""

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from .files import DataError, Table
from .images import ImageFile, inspect_image
from .sources import Examples, Target, _label, _target_value


def examples_from_folder(root: Path, target: Target = "classification") -> Examples:
    """The images under ``root``'s class folders, labelled with their folder's name."""
    if not root.is_dir():
        raise DataError(f"{root}: not a folder of class folders")
    if target == "regression":
        raise DataError(
            f"{root}: class folders hold classes; for --target regression name the images "
            "and their numbers in a table (--image-column)"
        )
    inputs: list[ImageFile] = []
    labels: list[str] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            raise DataError(
                f"{entry}: a file beside the class folders; every image goes in the folder "
                "named after its class"
            )
        for path in image_paths(entry):
            inputs.append(inspect_image(path))
            labels.append(entry.name)
    if not inputs:
        raise DataError(f"{root}: no images in class folders (expected {root}/<class>/<image>)")
    return Examples("image", list(inputs), labels, [image.path for image in inputs])


def image_paths(folder: Path) -> list[Path]:
    """Every file under ``folder`` (and its sub-folders) but hidden ones, in sorted order."""
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder")
    return [
        path
        for path in sorted(folder.rglob("*"))
        if not path.is_dir()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    ]


def images_from_table(table: Table, image_column: str) -> list[ImageFile]:
    """The image files a table names in ``image_column``, relative to the table's folder."""
    if image_column not in table.columns:
        raise DataError(
            f"{table.path}: no column {image_column!r} (columns: {', '.join(table.columns)}); "
            "name it with --image-column"
        )
    images = []
    for row in table.rows:
        value = row.values[image_column]
        if not isinstance(value, str) or not value.strip():
            raise DataError(f"{table.where(row, image_column)}: an image path must be text")
        try:
            images.append(inspect_image(table.path.parent / value.strip()))
        except DataError as error:
            raise DataError(f"{table.where(row, image_column)}: {error}") from None
    return images


def examples_from_image_table(
    table: Table,
    *,
    image_column: str,
    label_column: str = "label",
    target: Target = "classification",
) -> Examples:
    """The images a table names in ``image_column`` (relative to the table's folder), with
    the labels of ``label_column``."""
    if label_column not in table.columns:
        raise DataError(
            f"{table.path}: no label column {label_column!r} (columns: "
            f"{', '.join(table.columns)}); name it with --label-column"
        )
    inputs = images_from_table(table, image_column)
    if target == "regression":
        labels = [_target_value(table, row, label_column, image_column) for row in table.rows]
    else:
        labels = [_label(table, row, label_column) for row in table.rows]
    origins = [table.where(row) for row in table.rows]
    return Examples("image", list(inputs), labels, origins, target=target)


def images_digest(images: Sequence[object], root: Path) -> str:
    """SHA-256 over each image's path relative to ``root`` and its bytes' SHA-256, in
    sorted path order: any file added, removed, renamed or changed changes it."""
    digest = hashlib.sha256()
    entries = sorted(
        (Path(os.path.relpath(Path(image.path).resolve(), root.resolve())).as_posix(), image.sha256)
        for image in images
        if isinstance(image, ImageFile)
    )
    for relative, sha256 in entries:
        digest.update(f"{relative}\0{sha256}\n".encode())
    return digest.hexdigest()

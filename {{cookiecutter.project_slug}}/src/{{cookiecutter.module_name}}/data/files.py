"""Read a table of examples from a CSV or JSON Lines file, refusing anything malformed.

Both formats become the same thing: the column names and one ``Row`` per record, each with
the line it starts on, so every later check can name the file, the line and the column of
the value it refuses. Nothing is guessed: a row with a field too many or too few, a column
name given twice or a file that is not UTF-8 is an error, not a warning.
"""

import codecs
import csv
import hashlib
import json
import re
import stat
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

FORMATS = {".csv": "CSV", ".jsonl": "JSON Lines", ".ndjson": "JSON Lines"}
_LONE_CARRIAGE_RETURN = re.compile(r"(?<=\r)(?!\n)")


class DataError(ValueError):
    """A data file that cannot be used: one line naming the file, the line and the column."""


@dataclass(frozen=True, slots=True)  # slots: a million rows, a million instance dicts fewer
class Row:
    """One record: the line it starts on (1 = the first line of the file) and its values."""

    line: int
    values: dict[str, object]


@dataclass(frozen=True)
class Table:
    """The records of one file, in file order."""

    path: Path
    columns: tuple[str, ...]
    rows: list[Row]
    # Of the bytes read (a later change to the file does not alter it); None for a table
    # made in memory, such as the bundled example.
    sha256: str | None = None

    def where(self, row: Row, column: str | None = None) -> str:
        """ "data.csv:12" or "data.csv:12, column 'text'": where a value is, for messages."""
        place = f"{self.path}:{row.line}"
        return place if column is None else f"{place}, column {column!r}"


def read_table(path: str | Path) -> Table:
    """Read a .csv (header row first) or .jsonl (one JSON object per line) file.

    The file is read once, a line at a time: its bytes are hashed as they are read (so the
    hash describes exactly the data used, even if the file is replaced meanwhile) and
    never held whole in memory, decoded or not. Raises DataError for a missing,
    unreadable, empty or malformed file.
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise DataError(
            f"{path}: expected a .csv or .jsonl file, got {path.suffix or 'no suffix'!r}"
        )
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    if not stat.S_ISREG(mode):  # a folder, a FIFO or a device would hang or mislead
        raise DataError(f"{path}: not a regular file")
    digest = hashlib.sha256()
    with path.open("rb") as file:
        lines = _decoded_lines(path, file, digest.update)
        read = _read_csv if path.suffix.lower() == ".csv" else _read_json_lines
        columns, rows = read(path, lines)
    if not columns:
        raise DataError(f"{path}: the file is empty")
    if not rows:
        raise DataError(f"{path}: has column names but no rows")
    return Table(path, columns, rows, digest.hexdigest())


def _decoded_lines(
    path: Path, file: BinaryIO, hash_update: Callable[[bytes], object]
) -> Iterator[str]:
    """The file's lines as text, each ending with its newline; every byte read is hashed.

    Only b"\n" splits the bytes, and it never occurs inside a UTF-8 sequence, so a bad
    byte is reported on its own line; a byte-order mark (spreadsheets write one) is dropped.
    """
    for number, data in enumerate(file, start=1):
        hash_update(data)
        if number == 1:
            data = data.removeprefix(codecs.BOM_UTF8)
        try:
            yield data.decode("utf-8")
        except UnicodeDecodeError:
            raise DataError(f"{path}:{number}: not UTF-8 text (save the file as UTF-8)") from None


def _read_csv(path: Path, lines: Iterator[str]) -> tuple[tuple[str, ...], list[Row]]:
    # Only \n, \r and \r\n end a line (as the csv module needs, like newline=""), not the
    # other separators of str.splitlines (U+2028, form feed, ...), which a field may hold.
    reader = csv.reader(_csv_lines(lines), strict=True)
    try:
        header = next((fields for fields in reader if "".join(fields).strip()), None)
        if header is None:
            return (), []
        columns = tuple(name.strip() for name in header)
        _check_columns(path, columns)
        rows = []
        line = reader.line_num + 1
        for fields in reader:
            if fields:  # a blank line between records
                if len(fields) != len(columns):
                    raise DataError(
                        f"{path}:{line}: {len(fields)} fields, but the header has {len(columns)}"
                    )
                rows.append(Row(line, dict(zip(columns, fields, strict=True))))
            line = reader.line_num + 1
    except csv.Error as error:
        raise DataError(f"{path}:{reader.line_num}: not valid CSV: {error}") from None
    return columns, rows


def _csv_lines(lines: Iterator[str]) -> Iterator[str]:
    """``lines`` split after each lone \r too, as a file opened with newline="" splits them."""
    for line in lines:
        if "\r" in line.rstrip("\r\n"):
            yield from _LONE_CARRIAGE_RETURN.split(line)
        else:
            yield line


def _read_json_lines(path: Path, lines: Iterator[str]) -> tuple[tuple[str, ...], list[Row]]:
    columns: tuple[str, ...] = ()
    rows: list[Row] = []
    # Only newline ends a record: a JSON string may hold U+2028 or U+0085 as they are.
    for line, source in enumerate(lines, start=1):
        if not source.strip():
            continue
        try:
            record = json.loads(source, object_pairs_hook=_object_without_repeated_keys)
        except json.JSONDecodeError as error:
            raise DataError(f"{path}:{line}: not valid JSON: {error.msg}") from None
        except ValueError as error:  # a repeated key, or an integer of over 4,300 digits
            raise DataError(f"{path}:{line}: {error}") from None
        if not isinstance(record, dict):
            raise DataError(f"{path}:{line}: expected a JSON object, got {type(record).__name__}")
        if not rows:
            columns = tuple(record)
            _check_columns(path, columns)
        elif set(record) != set(columns):
            missing = sorted(set(columns) - set(record))
            extra = sorted(set(record) - set(columns))
            raise DataError(
                f"{path}:{line}: keys differ from the first record's: missing {missing}, "
                f"extra {extra}"
            )
        rows.append(Row(line, record))
    return columns, rows


def _object_without_repeated_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object as a dict, refusing a key given twice (json.loads keeps the last)."""
    record = dict(pairs)
    if len(record) < len(pairs):
        repeated = next(key for key, count in Counter(key for key, _ in pairs).items() if count > 1)
        raise ValueError(f"key {repeated!r} appears twice in one record")
    return record


def _check_columns(path: Path, columns: tuple[str, ...]) -> None:
    if "" in columns:
        raise DataError(f"{path}:1: column {columns.index('') + 1} has no name")
    repeated = sorted(name for name, count in Counter(columns).items() if count > 1)
    if repeated:
        raise DataError(f"{path}:1: column name(s) {repeated} appear more than once")

"""Read a table of examples from a CSV or JSON Lines file, refusing anything malformed.

Both formats become the same thing: the column names and one ``Row`` per record, each with
the line it starts on, so every later check can name the file, the line and the column of
the value it refuses. Nothing is guessed: a row with a field too many or too few, a column
name given twice or a file that is not UTF-8 is an error, not a warning.
"""

import codecs
import csv
import io
import json
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

FORMATS = {".csv": "CSV", ".jsonl": "JSON Lines", ".ndjson": "JSON Lines"}


class DataError(ValueError):
    """A data file that cannot be used: one line naming the file, the line and the column."""


@dataclass(frozen=True)
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

    def where(self, row: Row, column: str | None = None) -> str:
        """ "data.csv:12" or "data.csv:12, column 'text'": where a value is, for messages."""
        place = f"{self.path}:{row.line}"
        return place if column is None else f"{place}, column {column!r}"


def read_table(path: str | Path) -> Table:
    """Read a .csv (header row first) or .jsonl (one JSON object per line) file.

    Raises DataError for a missing, unreadable, empty or malformed file.
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
    data = path.read_bytes().removeprefix(codecs.BOM_UTF8)  # spreadsheets write a BOM
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not UTF-8 text (save the file as UTF-8)") from None
    if not text.strip():
        raise DataError(f"{path}: the file is empty")
    read = _read_csv if path.suffix.lower() == ".csv" else _read_json_lines
    columns, rows = read(path, text)
    if not rows:
        raise DataError(f"{path}: has column names but no rows")
    return Table(path, columns, rows)


def _read_csv(path: Path, text: str) -> tuple[tuple[str, ...], list[Row]]:
    # newline="": only \n, \r and \r\n end a line (as the csv module needs), not the other
    # separators of str.splitlines (U+2028, form feed, ...), which a quoted field may hold.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
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


def _read_json_lines(path: Path, text: str) -> tuple[tuple[str, ...], list[Row]]:
    columns: tuple[str, ...] = ()
    rows: list[Row] = []
    # Only newline ends a record: a JSON string may hold U+2028 or U+0085 as they are.
    for line, source in enumerate(text.split("\n"), start=1):
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

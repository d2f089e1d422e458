"""Unit tests for reading, checking and splitting a user's labelled data.

A bad data file must be refused before any training, in one line that names the file, the
line and the column, so a user can fix it in an editor. A split must never leak one input
into two splits, and must be the same on every machine for the same seed. The files here
are small and written by each test: none of them is the bundled example.
"""

import codecs
import hashlib
import json
import os
import subprocess
import sys
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }} import task
from {{ cookiecutter.module_name }}.data import (
    MAX_CLASSES,
    DataError,
    check_classes,
    check_disjoint,
    examples_from_table,
    label_names,
    read_table,
    split_examples,
)
from {{ cookiecutter.module_name }}.data.files import Row, Table, _check_columns
from {{ cookiecutter.module_name }}.data.sources import MAX_NUMERIC_CLASSES
from {{ cookiecutter.module_name }}.task import DATA_LOADERS, DataSpec, file_hash, load_data, spec_from_source


def one_line(error: pytest.ExceptionInfo[BaseException]) -> str:
    """The message of a raised error, asserting it is a single line."""
    message = str(error.value)
    assert "\n" not in message, message
    return message


def peak_allocation(action):
    """``action()``'s result and the most bytes Python held allocated while it ran."""
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class TestReadTable:
    @pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
    def test_both_formats_give_the_same_rows(self, tmp_path, suffix, support_rows, write_table):
        """A CSV and a JSON Lines file of the same records give the same columns and values.
        Catches: a format whose reader drops, reorders or renames columns."""
        table = read_table(write_table(tmp_path / f"data{suffix}", support_rows))
        assert table.columns == ("text", "label")
        assert [row.values for row in table.rows] == support_rows

    def test_rows_know_their_line(self, tmp_path):
        """Each row records the line it starts on, also after a quoted multi-line field.
        Catches: error messages pointing a user at the wrong line."""
        path = tmp_path / "data.csv"
        path.write_text('text,label\n"two\nlines",a\nthird,b\n', encoding="utf-8")
        assert [row.line for row in read_table(path).rows] == [2, 4]

    def test_a_byte_order_mark_is_not_part_of_the_first_column(self, tmp_path):
        """A spreadsheet's UTF-8 BOM is dropped. Catches: a first column named '\\ufefftext'."""
        path = tmp_path / "excel.csv"
        path.write_bytes("text,label\nhello,a\n".encode("utf-8-sig"))
        assert read_table(path).columns == ("text", "label")

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            pytest.param(b"", "the file is empty", id="empty"),
            pytest.param(b"text,label\n", "no rows", id="header-only"),
            pytest.param(b"text,label\nhello,a,extra\n", ":2: 3 fields", id="extra-field"),
            pytest.param(b"text,text\nhello,a\n", "'text'] appear more than once", id="dup-col"),
            pytest.param(b"text,\nhello,a\n", "column 2 has no name", id="unnamed"),
            pytest.param(b"text,label\nfine,a\n\xff\xfe,b\n", ":3: not UTF-8", id="encoding"),
        ],
    )
    def test_malformed_csv_is_refused_in_one_line(self, tmp_path, content, message):
        """Empty, header-only, ragged, ambiguous or non-UTF-8 files fail naming file and line.
        Catches: a reader that silently pads short rows or guesses an encoding."""
        path = tmp_path / "bad.csv"
        path.write_bytes(content)
        with pytest.raises(DataError) as error:
            read_table(path)
        assert "bad.csv" in one_line(error)
        assert message in one_line(error)

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            pytest.param('{"text": "a", "label": "x"}\n[1, 2]\n', ":2: expected a JSON object"),
            pytest.param('{"text": "a", "label": "x"}\n{"text": "b"}\n', ":2: keys differ"),
            pytest.param('{"text": "a", "label": "x"}\n{"text": \n', ":2: not valid JSON"),
        ],
        ids=["not-object", "missing-key", "broken"],
    )
    def test_malformed_json_lines_are_refused_in_one_line(self, tmp_path, content, message):
        """A line that is not an object, lacks a key or is not JSON fails naming the line."""
        path = tmp_path / "bad.jsonl"
        path.write_text(content, encoding="utf-8")
        with pytest.raises(DataError, match=message):
            read_table(path)

    @pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
    def test_unicode_line_separators_inside_a_json_string_are_text(self, tmp_path, separator):
        """A JSON string holding a raw U+2028, U+2029 or U+0085 (which JSON allows) is read
        as it is; only newline ends a JSON Lines record. Catches: str.splitlines(), which also
        splits there, refusing a valid file as "not valid JSON"."""
        path = tmp_path / "data.jsonl"
        record = {"text": f"one{separator}two", "label": "a"}
        path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
        assert [row.values for row in read_table(path).rows] == [record]

    @pytest.mark.parametrize("separator", ["\u2028", "\x85", "\x0c", "\x1e", "\r\n"])
    def test_what_csv_writer_writes_is_read_back(self, tmp_path, separator, write_table):
        """A text field holding a line separator, form feed or record separator, as
        csv.writer quotes it, is read back unchanged, on the lines it starts on. Catches:
        splitting the file at every str.splitlines() boundary, which breaks the quoting."""
        path = tmp_path / "data.csv"
        rows = [{"text": f"one{separator}two", "label": "a"}, {"text": "three", "label": "b"}]
        write_table(path, rows)
        table = read_table(path)
        assert [row.values for row in table.rows] == rows
        assert [row.line for row in table.rows] == [2, 3 + separator.count("\n")]

    def test_a_key_given_twice_in_one_record_is_refused(self, tmp_path):
        """A JSON Lines record with "label" twice is refused naming its line and the key.
        Catches: json.loads keeping the last value silently, training on a label the user
        may not have meant."""
        path = tmp_path / "data.jsonl"
        path.write_text('{"text": "a", "label": "x"}\n{"text": "b", "label": "x", "label": "y"}\n')
        with pytest.raises(DataError) as error:
            read_table(path)
        assert "data.jsonl:2: key 'label' appears twice" in one_line(error)

    def test_a_bad_byte_after_a_byte_order_mark_names_its_line(self, tmp_path):
        """With a BOM, a bad byte on line 3 is reported on line 3. Catches: counting lines in
        the decoded text's offsets, which the BOM shifts by three bytes."""
        path = tmp_path / "excel.csv"
        path.write_bytes("text,label\nhi,a\n".encode("utf-8-sig") + b"\xff,b\n")
        with pytest.raises(DataError, match=r"excel\.csv:3: not UTF-8"):
            read_table(path)

    def test_checking_column_names_is_linear_in_their_number(self, tmp_path):
        """Checking 3,000 distinct column names compares each with a few others, not with
        all of them. Catches: a quadratic check (a count per name), which took 233 s before
        the first check for a 1.1 MB header of 60,000 columns."""
        comparisons = 0

        class CountedName(str):
            __hash__ = str.__hash__

            def __eq__(self, other: object) -> bool:
                nonlocal comparisons
                comparisons += 1
                return str.__eq__(self, other)

        columns = tuple(CountedName(f"c{index}") for index in range(3000))
        _check_columns(tmp_path / "wide.csv", columns)
        assert comparisons <= 10 * len(columns)

    @pytest.mark.parametrize("name", ["data.txt", "data.parquet", "data"])
    def test_other_formats_are_refused(self, tmp_path, name):
        """Only .csv and .jsonl are read. Catches: a TSV read as one column of CSV."""
        path = tmp_path / name
        path.write_text("text\tlabel\n", encoding="utf-8")
        with pytest.raises(DataError, match=r"expected a \.csv or \.jsonl file"):
            read_table(path)

    def test_missing_file_and_folder_are_refused(self, tmp_path):
        """A missing path or a folder fails naming it. Catches: a traceback from open()."""
        with pytest.raises(DataError, match="no such file"):
            read_table(tmp_path / "absent.csv")
        (tmp_path / "folder.csv").mkdir()
        with pytest.raises(DataError, match="not a regular file"):
            read_table(tmp_path / "folder.csv")

    def test_a_file_is_never_held_whole_in_memory(self, tmp_path):
        """Reading a 4 MB JSON Lines file that is mostly blank lines allocates under 1 MB.
        Catches: read_bytes/decode/StringIO copies of the whole file (a 1M-row CSV of
        113 MB peaked at 1.1 GB), where only the rows kept should cost memory."""
        path = tmp_path / "sparse.jsonl"
        record = '{"text": "hello", "label": "a"}\n'
        path.write_text(record + (" " * 1023 + "\n") * 4096, encoding="utf-8")
        table, peak = peak_allocation(lambda: read_table(path))
        assert len(table.rows) == 1
        assert peak < 1_000_000

    def test_the_hash_is_of_the_bytes_read(self, tmp_path, write_table, support_rows):
        """Table.sha256 is the SHA-256 of the file as read. Catches: a hash of something
        else (the decoded text without its BOM, or a second read of the file)."""
        path = write_table(tmp_path / "data.csv", support_rows)
        path.write_bytes(codecs.BOM_UTF8 + path.read_bytes())
        assert read_table(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def table_of(tmp_path: Path, write_table):
    """table_of(rows, name="data.csv"): the Table of rows written to a file in tmp_path."""
    return lambda rows, name="data.csv": read_table(write_table(tmp_path / name, rows))


class TestExamplesFromTable:
    def test_a_text_column_makes_a_text_task(self, support_rows, table_of):
        """With a "text" column the examples are texts with their labels, in file order."""
        examples = examples_from_table(table_of(support_rows))
        assert examples.task == "text"
        assert examples.inputs == [row["text"] for row in support_rows]
        assert examples.labels == [row["label"] for row in support_rows]

    def test_numeric_columns_make_a_tabular_task(self, measurements, table_of):
        """Without a text column every other column is a feature, in file column order."""
        examples = examples_from_table(table_of(measurements))
        assert examples.task == "tabular"
        assert examples.feature_names == ("height", "ratio", "weight")
        first = measurements[0]
        assert examples.inputs[0] == pytest.approx(
            (first["height"], first["ratio"], first["weight"])
        )

    def test_many_feature_columns_keep_their_file_order(self, table_of):
        """26 feature columns, in an order neither alphabetical nor any hash order, are the
        features in file order. Three columns fall in a set's order one time in six by
        chance; 26 practically never, whatever PYTHONHASHSEED. Catches features in set order,
        whose meaning (and so a checkpoint's weights) changes from one process to the next."""
        names = [f"f{(7 * index) % 26:02d}" for index in range(26)]  # f00 f07 f14 f21 f02 ...
        values = {name: float(index) for index, name in enumerate(names)}
        examples = examples_from_table(
            table_of([{**values, "label": "a"}, {**values, "label": "b"}])
        )
        assert examples.feature_names == tuple(names)
        assert examples.inputs[0] == tuple(float(index) for index in range(26))

    def test_columns_in_another_order_give_the_same_features(self, measurements, table_of):
        """Read with a model's feature columns, a file with its columns in another order gives
        the same feature tuples as the file in training order. Catches features taken in the
        file's column order: the model then scores height as weight, with no error."""
        trained = examples_from_table(table_of(measurements))
        reordered = [dict(reversed(list(row.items()))) for row in measurements]
        again = examples_from_table(
            table_of(reordered, "reordered.csv"), feature_columns=trained.feature_names
        )
        assert again.inputs == trained.inputs

    def test_a_column_that_is_not_a_feature_is_refused(self, measurements, table_of):
        """Read for a model of three features, a file with a fourth fails in one line naming
        it and the model's count (the label column is allowed). Catches extra columns
        silently ignored: a model trained on 64 pixels scoring files of 1,024."""
        rows = [{**row, "bmi": 1.0} for row in measurements]
        with pytest.raises(DataError) as error:
            examples_from_table(table_of(rows), feature_columns=("height", "ratio", "weight"))
        assert "'bmi'" in one_line(error)
        assert "3 feature columns" in one_line(error)

    def test_origins_name_file_and_line(self, tmp_path, support_rows, table_of):
        """Each example knows where it came from. Catches: leakage errors that cannot say where."""
        examples = examples_from_table(table_of(support_rows))
        assert examples.origins[:2] == [f"{tmp_path / 'data.csv'}:2", f"{tmp_path / 'data.csv'}:3"]

    @pytest.mark.parametrize(
        ("edit", "message"),
        [
            pytest.param({"text": "   "}, ":3, column 'text': the text is blank", id="blank-text"),
            pytest.param({"label": ""}, ":3, column 'label': the label is blank", id="blank-label"),
        ],
    )
    def test_blank_values_are_refused(self, edit, message, support_rows, table_of):
        """A blank text or label fails naming line and column. Catches: empty cells trained
        on as all-padding inputs or as a class named ''."""
        rows = support_rows
        rows[1] |= edit
        with pytest.raises(DataError, match=message):
            examples_from_table(table_of(rows))

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            pytest.param("tall", "'tall' is not a number", id="word"),
            pytest.param("nan", "'nan' is not a finite number", id="nan"),
            pytest.param("inf", "'inf' is not a finite number", id="inf"),
            pytest.param("", "'' is not a number", id="empty"),
        ],
    )
    def test_bad_features_are_refused(self, value, message, measurements, table_of):
        """A non-numeric, NaN, Inf or empty feature fails naming line, column and value.
        Catches: NaN features that turn every weight into NaN after one step."""
        rows = measurements
        rows[4]["ratio"] = value
        with pytest.raises(DataError) as error:
            examples_from_table(table_of(rows))
        assert ":6, column 'ratio'" in one_line(error)
        assert message in one_line(error)

    def test_an_integer_too_large_for_a_float_is_refused(self, measurements, table_of):
        """A 400-digit integer feature (valid JSON) fails naming line and column. Catches: the
        OverflowError traceback of float() on it."""
        measurements[4]["ratio"] = 10**400
        with pytest.raises(DataError) as error:
            examples_from_table(table_of(measurements, "data.jsonl"))
        assert ":5, column 'ratio': an integer of 401 digits is not a finite number" in one_line(
            error
        )

    def test_a_missing_label_column_lists_the_columns(self, support_rows, table_of):
        """No label column fails listing the columns there are and the option to use."""
        with pytest.raises(DataError, match=r"no label column 'labels' \(columns: text, label\)"):
            examples_from_table(table_of(support_rows), label_column="labels")

    def test_a_misnamed_text_column_is_an_error_not_a_tabular_task(self, support_rows, table_of):
        """Asking for a text task with a column that is not there fails naming the column.
        Catches: a typo in --text-column silently training a tabular model on the labels."""
        with pytest.raises(DataError, match=r"no text column.*'body'"):
            examples_from_table(table_of(support_rows), text_column="body", task="text")

    def test_text_that_is_not_the_text_column_is_named(self, support_rows, table_of):
        """A text column under another name fails as "not a number" and says --text-column."""
        rows = [{"body": row["text"], "label": row["label"]} for row in support_rows]
        with pytest.raises(DataError, match=r"not a number.*--text-column"):
            examples_from_table(table_of(rows))


class TestLabelNames:
    def test_text_labels_are_sorted(self):
        """Class indices follow alphabetical order, not order of appearance. Catches: class
        numbering that changes when the file's rows are shuffled."""
        assert label_names(["refund", "delivery", "account", "refund"]) == (
            "account",
            "delivery",
            "refund",
        )

    def test_integer_labels_are_sorted_as_numbers(self):
        """ "2" comes before "10". Catches: string order making class 10 index 1."""
        assert label_names(["10", "2", "1", "2"]) == ("1", "2", "10")

    def test_integer_labels_of_equal_value_are_ordered_as_text(self):
        """Twelve spellings of one (and one of two) come out numerically, then as text.
        Catches: sorting by int() alone, which ties "1" and "01" and leaves their order to the
        set's iteration order, which changes with PYTHONHASHSEED (1 chance in 12! to pass)."""
        ones = [sign + "0" * zeros + "1" for sign in ("", "+") for zeros in range(6)]
        assert label_names([*reversed(ones), "2"]) == (*sorted(ones), "2")

    @pytest.mark.slow
    def test_class_order_does_not_depend_on_the_hash_seed(self):
        """Processes with different PYTHONHASHSEED number the classes "1" and "01" the same.
        Catches: a class order that follows set iteration, so a model trained in one process
        is served in another with two classes swapped."""
        script = (
            "from {{ cookiecutter.module_name }}.data import label_names; "
            "print(label_names(['01', '1', '001', '10', '010']))"
        )
        orders = {
            subprocess.run(
                [sys.executable, "-c", script],
                env={**os.environ, "PYTHONHASHSEED": str(seed)},
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for seed in range(4)
        }
        assert len(orders) == 1, orders

    def test_one_class_is_refused(self):
        """Training data with a single label is refused in one line. Catches: training a
        model that predicts that label always and scores accuracy 1.0 on a test split of it."""
        with pytest.raises(DataError, match=r"one class \('spam'\).*at least two") as error:
            label_names(["spam", "spam"])
        one_line(error)

    def test_more_classes_than_the_limit_are_refused(self):
        """More than MAX_CLASSES distinct labels are refused in one line. Catches: 10,000
        classes from a 987 kB file making a 1.41 GB checkpoint (the baselines count every
        token per class) and an evaluation needing 12 GB."""
        labels = [f"id{index}" for index in range(MAX_CLASSES + 1)]
        with pytest.raises(DataError, match=rf"{MAX_CLASSES + 1} distinct labels.*{MAX_CLASSES}"):
            label_names(labels)
        assert len(label_names(labels[:MAX_CLASSES])) == MAX_CLASSES


class TestSplitExamples:
    @pytest.fixture
    def examples(self, support_rows, table_of):
        return examples_from_table(table_of(support_rows))

    def test_splits_are_disjoint_and_cover_the_data(self, examples):
        """Every example lands in exactly one split. Catches: overlap (leakage) and examples
        dropped by rounding."""
        splits = split_examples(examples)
        origins = [origin for split in splits.values() for origin in split.origins]
        assert sorted(origins) == sorted(examples.origins)

    def test_every_split_is_stratified(self, examples):
        """Each class has round(12 * 0.15) = 2 examples in validation and in test, the rest in
        train. Catches: an unstratified split that leaves a class out of validation."""
        splits = split_examples(examples)
        assert {name: Counter(split.labels) for name, split in splits.items()} == {
            "train": dict.fromkeys(("refund", "delivery", "account"), 8),
            "validation": dict.fromkeys(("refund", "delivery", "account"), 2),
            "test": dict.fromkeys(("refund", "delivery", "account"), 2),
        }

    def test_same_seed_same_split_other_seed_other_split(self, examples):
        """The split is a function of the seed. Catches: unseeded shuffles (flaky metrics)
        and a seed that is accepted but ignored."""
        assert split_examples(examples, seed=3) == split_examples(examples, seed=3)
        assert split_examples(examples, seed=3)["test"] != split_examples(examples, seed=4)["test"]

    def test_the_split_is_the_same_in_every_process(self, examples):
        """The seed-0 validation and test splits of the support messages are these lines,
        in every process and on every machine: `evaluate` makes the test split again in
        another process, from the checkpoint's record. Catches a split ordered by Python's
        hash() (salted per process: the test split made again would hold training rows),
        which a comparison of two splits made in one process cannot see."""
        splits = split_examples(examples)
        lines = {
            name: [origin.rsplit(":", 1)[1] for origin in splits[name].origins] for name in splits
        }
        assert lines["validation"] == ["2", "15", "16", "21", "25", "35"]
        assert lines["test"] == ["4", "6", "10", "14", "29", "30"]

    def test_row_order_does_not_change_the_split(self, examples, support_rows, table_of):
        """The same rows in reverse order give the same test inputs. Catches: a split that
        depends on file order, so sorting a CSV silently changes the test set."""
        reversed_examples = examples_from_table(table_of(support_rows[::-1], "reversed.csv"))
        test = split_examples(examples)["test"]
        assert sorted(split_examples(reversed_examples)["test"].inputs) == sorted(test.inputs)

    def test_a_repeated_input_stays_in_one_split(self, support_rows, table_of):
        """Copies of one text (up to case and spacing) always share a split. Catches: a split
        that puts a duplicate in train and its copy in test."""
        copy = {"text": "  THE CUSTOMER wants a refund for the order.", "label": "refund"}
        for seed in range(5):
            splits = split_examples(examples_from_table(table_of([*support_rows, copy])), seed=seed)
            check_disjoint(splits)
            homes = {
                name
                for name, split in splits.items()
                for origin in split.origins
                if origin.endswith((":2", ":38"))  # the original and its copy
            }
            assert len(homes) == 1, f"seed {seed}: the copies are in {homes}"

    def test_a_class_too_small_to_split_is_refused(self, support_rows, table_of):
        """A label with 2 examples cannot give train, validation and test one each: the error
        names the label and the fix. Catches: a class missing from validation or training."""
        rows = [
            *support_rows,
            {"text": "a lonely message", "label": "other"},
            {"text": "another lonely message", "label": "other"},
        ]
        with pytest.raises(DataError, match=r"label 'other' has 2 distinct.*needs at least 3"):
            split_examples(examples_from_table(table_of(rows)))

    def test_unequal_fractions_size_each_split(self, examples):
        """validation 0.1 and test 0.2 give round(1.2) = 1 and round(2.4) = 2 per class.
        Catches: the two fractions swapped (equal defaults cannot show it)."""
        splits = split_examples(examples, validation_fraction=0.1, test_fraction=0.2)
        sizes = {name: len(split) // 3 for name, split in splits.items()}
        assert sizes == {"train": 9, "validation": 1, "test": 2}

    def test_a_zero_fraction_leaves_that_split_empty(self, examples):
        """test_fraction 0 gives an empty test split and all else to train and validation.
        Catches: a minimum of one example forced into a split the user turned off."""
        splits = split_examples(examples, test_fraction=0.0)
        assert len(splits["test"]) == 0
        assert len(splits["train"]) + len(splits["validation"]) == len(examples)

    def test_every_example_keeps_its_label(self, examples):
        """Each (input, label) pair of a split is a pair of the data. Catches: inputs and
        labels reordered separately while splitting, even by a consistent shift."""
        pairs = set(zip(examples.inputs, examples.labels, strict=True))
        for split in split_examples(examples).values():
            assert set(zip(split.inputs, split.labels, strict=True)) <= pairs

    @pytest.mark.parametrize(("validation", "test"), [(-0.1, 0.1), (0.1, 1.0), (0.5, 0.5)])
    def test_impossible_fractions_are_refused(self, examples, validation, test):
        """Fractions outside [0, 1) or leaving no training data fail with ValueError."""
        with pytest.raises(ValueError, match="fraction"):
            split_examples(examples, validation_fraction=validation, test_fraction=test)


class TestLoadData:
    def test_a_file_replaced_after_it_was_read_is_found_changed(
        self, tmp_path, support_rows, write_table, monkeypatch
    ):
        """The recorded hash is that of the bytes training read, so a file replaced while
        (or after) it was read is refused by evaluate as changed. Catches: hashing the file
        again after reading it, which records the replacement and lets evaluate silently
        score another split."""
        path = write_table(tmp_path / "data.csv", support_rows)
        read_before = path.read_bytes()

        def read_then_replaced(given):
            table = read_table(given)
            write_table(path, support_rows[::-1])  # another order: other splits
            return table

        monkeypatch.setattr(task, "read_table", read_then_replaced)
        source = load_data(DataSpec(path=path)).source
        assert source["hashes"][str(path.resolve())] == hashlib.sha256(read_before).hexdigest()
        with pytest.raises(DataError, match="changed since the model was trained"):
            spec_from_source(source)

    @pytest.mark.parametrize(
        ("edit", "message"),
        [
            (lambda record: (record.pop("hashes"), record.pop("path")), "lacks hashes, path"),
            (lambda record: record.update(hashes=["a.csv"]), "has hashes that are not file"),
            (
                lambda record: record.update(split_seed="0", task="audio"),
                "has split_seed, task of the wrong type",
            ),
        ],
        ids=["missing keys", "hashes a list", "wrong types"],
    )
    def test_a_malformed_data_record_is_refused_in_one_line(self, edit, message):
        """A data record missing keys, or holding values of the wrong type (as a crafted
        or hand-edited checkpoint may: checkpoint.py checks only that they are plain), is
        one DataError naming them. Catches the KeyError or TypeError traceback evaluate
        gave for `data_source: {}`."""
        record = dict(load_data().source)
        edit(record)
        with pytest.raises(DataError, match=f"data record {message}.*; pass --data$"):
            spec_from_source(record)

    def test_file_hash_reads_in_blocks(self, tmp_path):
        """file_hash of a 4 MB file allocates under 1 MB and equals hashlib's digest.
        Catches: Path.read_bytes() holding the whole file (142 MB RSS for a 122 MB file)."""
        path = tmp_path / "big.bin"
        path.write_bytes(os.urandom(4_000_000))
        digest, peak = peak_allocation(lambda: file_hash(path))
        assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
        assert peak < 1_000_000

    def test_given_validation_and_test_files_are_used_as_they_are(
        self, tmp_path, support_rows, write_table
    ):
        """With --validation and --test files, the training file is not split at all."""
        rows = support_rows
        spec = DataSpec(
            path=write_table(tmp_path / "train.csv", rows[:24]),
            validation=write_table(tmp_path / "val.csv", rows[24:30]),
            test=write_table(tmp_path / "test.csv", rows[30:]),
        )
        data = load_data(spec)
        assert [len(data.splits[name]) for name in ("train", "validation", "test")] == [24, 6, 6]

    def test_the_same_text_in_two_files_is_refused_naming_both(
        self, tmp_path, support_rows, write_table
    ):
        """A test row that is also a training row fails naming both lines. Catches: leakage
        that inflates the test score of every model."""
        rows = support_rows
        spec = DataSpec(
            path=write_table(tmp_path / "train.csv", rows[:30]),
            test=write_table(tmp_path / "test.csv", rows[29:]),
        )
        with pytest.raises(DataError, match=r"two splits \(.*train.csv:31 and .*test.csv:2\)"):
            load_data(spec)

    @pytest.mark.parametrize(
        ("first", "second"), [("train", "val"), ("train", "test"), ("val", "test")]
    )
    def test_an_input_in_any_two_files_is_refused(
        self, first, second, tmp_path, support_rows, write_table
    ):
        """A row of one file repeated in another is refused naming both lines, for each of
        the three pairs of training, validation and test file. Catches a leakage check that
        compares each split with training only: a validation row in the test file makes
        the model chosen on it look better on test than it is."""
        rows = {"train": support_rows[:24], "val": support_rows[24:30], "test": support_rows[30:]}
        rows[second] = [*rows[second], rows[first][0]]
        files = {name: write_table(tmp_path / f"{name}.csv", part) for name, part in rows.items()}
        spec = DataSpec(path=files["train"], validation=files["val"], test=files["test"])
        with pytest.raises(DataError, match=rf"two splits \(.*{first}.csv:2 and .*{second}.csv:"):
            load_data(spec)

    def test_given_files_are_read_in_the_training_column_order(
        self, tmp_path, measurements, write_table
    ):
        """--validation and --test files with their columns in another order than the
        training file's give the same features as in training order. Catches a given file's
        features taken in its own column order: the model chosen on misaligned columns."""
        reordered = [dict(reversed(list(row.items()))) for row in measurements]
        spec = DataSpec(
            path=write_table(tmp_path / "train.csv", measurements[:40]),
            validation=write_table(tmp_path / "val.csv", reordered[40:50]),
            test=write_table(tmp_path / "test.csv", reordered[50:]),
        )
        data = load_data(spec)
        columns = ("height", "ratio", "weight")
        for name, rows in (("validation", measurements[40:50]), ("test", measurements[50:])):
            assert data.splits[name].inputs == [tuple(row[key] for key in columns) for row in rows]

    def test_a_non_default_spec_comes_back_from_its_record(
        self, tmp_path, support_rows, write_table
    ):
        """spec_from_source of the record of a spec whose every field differs from its
        default (fractions 0.1 and 0.2, seed 5, other column names) is that spec. Catches a
        record read back with two fields swapped or defaulted, which a round trip of the
        defaults cannot see: both fractions are 0.15 there."""
        rows = [{"message": row["text"], "topic": row["label"]} for row in support_rows]
        spec = DataSpec(
            path=write_table(tmp_path / "d.csv", rows).resolve(),
            text_column="message",
            label_column="topic",
            task="text",
            validation_fraction=0.1,
            test_fraction=0.2,
            split_seed=5,
        )
        assert spec_from_source(load_data(spec).source) == spec

    def test_a_label_unseen_in_training_is_refused(self, tmp_path, support_rows, write_table):
        """A validation label absent from training fails naming its line."""
        rows = support_rows
        validation = [*rows[30:33], {"text": "what a lovely shop", "label": "praise"}]
        spec = DataSpec(
            path=write_table(tmp_path / "train.csv", rows[:30]),
            validation=write_table(tmp_path / "val.csv", validation),
        )
        with pytest.raises(DataError, match=r"val.csv:5: label 'praise' is not one"):
            load_data(spec)

    def test_label_names_come_from_the_data(self, tmp_path, support_rows, write_table):
        """The class names are the training labels, sorted: never the bundled example's."""
        data = load_data(DataSpec(path=write_table(tmp_path / "d.csv", support_rows)))
        assert data.label_names == ("account", "delivery", "refund")

    def test_the_record_identifies_the_files(self, tmp_path, support_rows, write_table):
        """The data record holds the absolute path and the file's hash, so evaluate can
        refuse a file that changed after training."""
        path = write_table(tmp_path / "d.csv", support_rows)
        source = load_data(DataSpec(path=path)).source
        assert source["path"] == str(path.resolve())
        assert set(source["hashes"]) == {str(path.resolve())}

    def test_a_registered_loader_reads_its_suffix(self, tmp_path, monkeypatch, text_csv):
        """A file whose suffix (in any case) is in DATA_LOADERS goes to that loader, which
        gets the whole DataSpec. Catches: `train --data x.tsv` refused, or read as CSV."""
        prepared = load_data(DataSpec(path=text_csv))
        seen = []
        monkeypatch.setitem(DATA_LOADERS, ".tsv", lambda spec: seen.append(spec) or prepared)
        spec = DataSpec(path=tmp_path / "tickets.TSV", split_seed=4)
        assert load_data(spec) is prepared
        assert seen == [spec]


def numbered_rows(labels: list[object]) -> list[dict[str, object]]:
    """One tabular row per label, its feature the row number (every row distinct)."""
    return [{"x": float(index), "label": label} for index, label in enumerate(labels)]


def label_table(labels: list[str]) -> Table:
    """A table of one feature column and ``labels``, without a file."""
    rows = [Row(line, {"x": 1.0, "label": label}) for line, label in enumerate(labels, start=2)]
    return Table(Path("d.csv"), ("x", "label"), rows)


class TestRegressionTarget:
    def test_labels_are_read_as_the_numbers_in_the_file(self, tmp_path, write_table):
        """Every regression label is the file's number exactly (CSV text and JSON numbers,
        integers too), as float. Catches: a target rounded, or read as text and sorted."""
        labels = [151.0, 75.25, -3, 0.1, 1e6]
        for name in ("data.csv", "data.jsonl"):
            table = read_table(write_table(tmp_path / name, numbered_rows(labels)))
            examples = examples_from_table(table, target="regression")
            assert examples.values() == [float(label) for label in labels]

    def test_a_label_that_is_not_a_number_names_its_line(self, tmp_path, write_table):
        """A non-numeric regression label fails naming the file, line and column."""
        rows = numbered_rows([1.0, 2.0, "high", 4.0])
        table = read_table(write_table(tmp_path / "data.csv", rows))
        with pytest.raises(DataError, match=r"data.csv:4, column 'label'.*a regression target"):
            examples_from_table(table, target="regression")

    def test_the_split_is_not_stratified_by_value(self, tmp_path, write_table):
        """Every row has its own value, yet the data splits (seeded, 70/15/15 of 40 rows)
        instead of demanding three examples per distinct label. Catches: a regression
        target split like classes, which refuses any real data."""
        rows = numbered_rows([float(value) for value in range(40)])
        spec = DataSpec(path=write_table(tmp_path / "data.csv", rows), target="regression")
        splits = load_data(spec).splits
        assert [len(splits[name]) for name in ("train", "validation", "test")] == [28, 6, 6]

    def test_a_constant_target_is_refused(self, tmp_path, write_table):
        """One value in every training row leaves nothing to learn: one line says so."""
        spec = DataSpec(
            path=write_table(tmp_path / "d.csv", numbered_rows([5.0] * 20)), target="regression"
        )
        with pytest.raises(DataError, match=r"same number \(5.0\) in every training row"):
            load_data(spec)

    def test_the_record_keeps_the_target(self, price_data):
        """The data record says "regression", so evaluate re-reads the labels as numbers."""
        assert spec_from_source(load_data(price_data).source).target == "regression"


class TestNumericLabels:
    def test_many_distinct_numbers_are_refused_as_classes(self, tmp_path, write_table):
        """A label column of 200 distinct numbers, loaded as classes, is refused in one
        short line naming what it saw and --target regression. Catches: 200 one-example
        classes, which the split refuses with advice that does not help."""
        rows = numbered_rows([f"{100 + index}.5" for index in range(200)])
        with pytest.raises(DataError) as error:
            load_data(DataSpec(path=write_table(tmp_path / "d.csv", rows)))
        message = one_line(error)
        assert "200 distinct values in 200 rows" in message
        assert "--target regression" in message
        assert len(message) < 200

    def test_star_ratings_stay_classes(self, tmp_path, write_table):
        """Integers 1 to 5, eight rows each, are five classes, not a number to regress."""
        rows = numbered_rows([str(1 + index % 5) for index in range(40)])
        data = load_data(DataSpec(path=write_table(tmp_path / "d.csv", rows)))
        assert data.label_names == ("1", "2", "3", "4", "5")

    @pytest.mark.parametrize(
        ("distinct", "rows", "refused"),
        [
            (MAX_NUMERIC_CLASSES, 10 * MAX_NUMERIC_CLASSES, False),
            (MAX_NUMERIC_CLASSES + 1, 10 * MAX_NUMERIC_CLASSES, True),
            (11, 20, True),  # more than half the rows distinct
            (10, 12, False),  # but ten classes are never too many
        ],
    )
    def test_the_limit(self, distinct, rows, refused):
        """More than MAX_NUMERIC_CLASSES distinct numbers, or more than half as many as rows
        (and over ten), are refused; fewer are classes."""
        examples = examples_from_table(
            label_table([str(index % distinct) for index in range(rows)])
        )
        if refused:
            with pytest.raises(DataError, match="--target regression"):
                check_classes(examples)
        else:
            check_classes(examples)

    def test_many_distinct_words_are_not_refused_as_numbers(self):
        """Free-text labels are not numbers: check_classes leaves them to label_names."""
        check_classes(examples_from_table(label_table([f"topic {index}" for index in range(200)])))

    def test_an_unknown_label_lists_a_few_known_ones_and_the_count(self, tmp_path, write_table):
        """A label unseen in training is refused in one short line: three of the known
        labels and how many there are, however many. Catches: a 7,000-character "line"."""
        labels = [f"class{index:02d}" for index in range(40)] * 3
        spec = DataSpec(
            path=write_table(tmp_path / "train.csv", numbered_rows(labels)),
            validation=write_table(tmp_path / "val.csv", [{"x": -1.0, "label": "class99"}]),
        )
        with pytest.raises(DataError) as error:
            load_data(spec)
        message = one_line(error)
        assert "40 labels: 'class00', 'class01', 'class02' and 37 more" in message
        assert len(message) < 250

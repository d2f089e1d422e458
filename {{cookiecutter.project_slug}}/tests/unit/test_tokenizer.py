"""Unit tests for text normalisation and the word-level tokenizer.

The tokenizer decides which ids the model sees, so its bugs are silent: a wrong
padding id, a mask off by one or a vocabulary that changes order between runs all
train and serve "fine" with worse results. These tests pin those properties down.
"""

import json
import unicodedata

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from {{ cookiecutter.module_name }}.data import (
    PAD_ID,
    PAD_TOKEN,
    UNK_ID,
    UNK_TOKEN,
    Tokenizer,
    build_tokenizer,
    normalize_text,
)

# Characters where normalisation goes wrong: whitespace variants, ligatures, full-width and
# accented forms, case pairs that fold oddly, brackets of special tokens, emoji and CJK.
# Sampling from them finds bugs faster than all of Unicode, and skips Hypothesis's
# seconds-long first-use scan of the Unicode tables.
TRICKY_CHARACTERS = (
    "aZ9_ .,![]\t\n\u00a0\u2003\u3000"
    "\ufb01\uff21\u00e9e\u0301\u00df\u1e9e\u03a3\u03c2\u0130\u0131\u0345\u03d4\u00b4"
    "\u2460\U0001f600\u4e2d"
)
TEXT = st.text(alphabet=st.sampled_from(TRICKY_CHARACTERS), max_size=40)

CORPUS = (
    "The striker scored a late goal.",
    "The chef cooked a spicy curry for the striker!",
    "The engineer fixed a security bug, then the chef cooked again.",
)
MAX_LENGTH = 8


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    """Built once: a tokenizer is immutable, and building it is the same for every test."""
    return build_tokenizer(CORPUS)


def vocabulary_words(tokenizer: Tokenizer) -> list[str]:
    return tokenizer.vocab[2:]


class TestNormalizeText:
    def test_folds_case_and_collapses_whitespace(self):
        """Case and whitespace runs do not matter. Catches a missing casefold or strip,
        which would give "Goal" and "goal" different ids."""
        assert normalize_text("  The\tStriker \n\n SCORED  ") == "the striker scored"

    @pytest.mark.parametrize(
        ("variant", "canonical"),
        [
            ("\ufb01nal", "final"),  # "fi" ligature
            ("\uff27\uff2f\uff21\uff2c", "goal"),  # full-width letters
            ("cafe\u0301", "caf\u00e9"),  # decomposed vs composed accent
            ("STRASSE", "stra\u00dfe"),  # casefold, not lower(): "ß" folds to "ss"
        ],
    )
    def test_unicode_variants_normalise_to_the_same_text(self, variant, canonical):
        """Visually equal spellings give one normal form. Catches a missing NFKC step or
        lower() instead of casefold(), which splits one word into several vocabulary ids."""
        assert normalize_text(variant) == normalize_text(canonical)

    @given(TEXT)
    @example("\u00df\u0301")  # casefold de-composes "ß" + accent: needs NFKC again afterwards
    @example(" a\u00a0b\u3000")  # non-breaking and ideographic spaces
    def test_is_idempotent(self, text):
        """Normalising twice changes nothing. Catches an order of NFKC/casefold/whitespace
        steps where normalised text (e.g. a saved vocabulary word) normalises differently."""
        once = normalize_text(text)
        assert normalize_text(once) == once

    @pytest.mark.parametrize("not_text", [None, b"goal", 3])
    def test_rejects_non_string(self, not_text):
        """Non-strings fail with a TypeError naming the type. Catches bytes or None
        being silently turned into the text "b'goal'" or "None"."""
        with pytest.raises(TypeError, match=f"text must be a str, got {type(not_text).__name__}"):
            normalize_text(not_text)


class TestTokenize:
    def test_splits_words_and_punctuation(self):
        """Words and each punctuation mark are separate tokens. Catches splitting on
        whitespace only, which makes "goal!" and "goal" different words."""
        assert Tokenizer.tokenize("Goal!!  Great,game") == ["goal", "!", "!", "great", ",", "game"]

    def test_typed_special_tokens_are_split_into_ordinary_tokens(self):
        """A user typing "[PAD]" gets brackets and a word, not a special token. Catches a
        tokenizer that matches special tokens in raw text (a prompt-injection-like hole)."""
        assert Tokenizer.tokenize("[PAD] [UNK]") == ["[", "pad", "]", "[", "unk", "]"]


class TestBuildTokenizer:
    def test_vocabulary_starts_with_the_special_tokens(self, tokenizer):
        """Padding is id 0 and unknown is id 1. Catches a vocabulary where a real word
        takes id 0, which the model's padding mask would then hide."""
        assert tokenizer.vocab[:2] == [PAD_TOKEN, UNK_TOKEN]
        assert (tokenizer.pad_id, tokenizer.unk_id) == (PAD_ID, UNK_ID) == (0, 1)
        assert tokenizer.vocab_size == len(tokenizer.vocab)

    def test_orders_words_by_frequency_then_alphabetically(self):
        """Ids follow frequency, ties alphabetical. Catches ordering by set iteration,
        which changes between processes and breaks a saved model's ids."""
        built = build_tokenizer(["c a", "b a", "b c a d"])  # first seen: c, a, b, d
        assert vocabulary_words(built) == ["a", "b", "c", "d"]

    def test_many_tied_words_are_ordered_alphabetically(self):
        """26 words of equal count get ids in alphabetical order. Catches ordering ties
        by set iteration under every PYTHONHASHSEED: with four words a set's order is
        sorted by chance in some processes, with 26 in practically none (1 in 26!)."""
        words = [f"{letter}word" for letter in "zyxwvutsrqponmlkjihgfedcba"]
        built = build_tokenizer([" ".join(words), " ".join(reversed(words))])
        assert vocabulary_words(built) == sorted(words)

    def test_vocabulary_does_not_depend_on_text_order(self):
        """Shuffling the corpus gives the same ids. Catches first-seen ordering, which
        makes the vocabulary depend on the (shuffled) order of the training data."""
        assert build_tokenizer(CORPUS).vocab == build_tokenizer(CORPUS[::-1]).vocab

    def test_min_freq_drops_rare_words(self):
        """Words seen fewer than min_freq times are left out. Catches an off-by-one
        (> instead of >=) or an ignored min_freq."""
        built = build_tokenizer(["goal goal match", "goal match fans"], min_freq=2)
        assert vocabulary_words(built) == ["goal", "match"]

    def test_max_vocab_size_keeps_the_most_frequent_words(self):
        """The cap counts the special tokens and keeps the most frequent words. Catches
        a vocabulary one or two ids larger than the model's embedding table."""
        built = build_tokenizer(["goal goal goal match match fans"], max_vocab_size=4)
        assert built.vocab == [PAD_TOKEN, UNK_TOKEN, "goal", "match"]

    @pytest.mark.parametrize(
        ("texts", "kwargs", "error", "message"),
        [
            ("a single string", {}, TypeError, "texts must be a sequence of str, got str"),
            (["fine", 3], {}, TypeError, r"texts\[1\] must be a str, got int"),
            ([], {}, ValueError, "at least one text"),
            (["goal"], {"min_freq": 0}, ValueError, "min_freq must be an int >= 1"),
            (["goal"], {"max_vocab_size": 1}, ValueError, "max_vocab_size must be an int >= 2"),
        ],
    )
    def test_rejects_bad_arguments(self, texts, kwargs, error, message):
        """Bad corpora and settings fail with a message naming what was expected. Catches
        a string iterated character by character into a vocabulary of letters."""
        with pytest.raises(error, match=message):
            build_tokenizer(texts, **kwargs)


class TestTokenizer:
    @pytest.mark.parametrize("text", ["", "goal", "the striker scored " * 20])
    def test_encode_returns_exactly_max_length_long_ids(self, tokenizer, text):
        """Empty, short and long texts all give (max_length,) LongTensors. Catches
        missing padding or truncation, which makes batches impossible to stack."""
        encoded = tokenizer.encode(text, MAX_LENGTH)
        for name in ("input_ids", "attention_mask"):
            assert encoded[name].shape == (MAX_LENGTH,)
            assert encoded[name].dtype == torch.long

    def test_truncation_keeps_the_first_tokens(self, tokenizer):
        """Long text keeps its first max_length tokens, with no padding. Catches keeping
        the end of the text, or reserving a padding slot in a full sequence."""
        text = "the striker scored a late goal for the chef"
        ids = tokenizer.encode(text, 4)["input_ids"]
        assert tokenizer.decode(ids) == "the striker scored a"

    @given(text=TEXT)
    def test_ids_are_in_vocabulary_range(self, tokenizer, text):
        """Every id indexes the embedding table. Catches ids from a different vocabulary
        or -1 for unknown words, which crash (or, on GPU, corrupt) the embedding lookup."""
        ids = tokenizer.encode(text, MAX_LENGTH)["input_ids"]
        assert int(ids.min()) >= 0
        assert int(ids.max()) < tokenizer.vocab_size

    @given(text=TEXT)
    def test_attention_mask_marks_exactly_the_real_tokens(self, tokenizer, text):
        """Mask is 1 on the (truncated) tokens, then 0 on padding, and agrees with the ids.
        Catches an inverted mask or one computed before truncation."""
        encoded = tokenizer.encode(text, MAX_LENGTH)
        num_real = min(len(tokenizer.tokenize(text)), MAX_LENGTH)
        expected = torch.tensor([1] * num_real + [0] * (MAX_LENGTH - num_real))
        assert torch.equal(encoded["attention_mask"], expected)
        assert torch.equal(encoded["attention_mask"], (encoded["input_ids"] != PAD_ID).long())

    @given(text=TEXT)
    def test_encode_is_deterministic(self, tokenizer, text):
        """The same text always gives the same ids. Catches randomness or hidden state
        (e.g. a cache keyed on the raw text) in encoding."""
        first, second = tokenizer.encode(text, MAX_LENGTH), tokenizer.encode(text, MAX_LENGTH)
        assert torch.equal(first["input_ids"], second["input_ids"])

    def test_unknown_words_map_to_the_unknown_id(self, tokenizer):
        """Out-of-vocabulary words become UNK_ID and still count as real tokens. Catches
        dropping unknown words or mapping them to padding, which the model would ignore."""
        encoded = tokenizer.encode("zebra striker", MAX_LENGTH)
        assert encoded["input_ids"][0] == UNK_ID
        assert encoded["input_ids"][1] == tokenizer.vocab.index("striker")
        assert encoded["attention_mask"][:2].tolist() == [1, 1]

    @given(data=st.data())
    def test_decode_inverts_encode_for_in_vocabulary_text(self, tokenizer, data):
        """decode(encode(text)) gives back the normalised text when every word is known and
        it fits. Catches an id/word table that is off by one or shifted by the specials."""
        words = data.draw(
            st.lists(st.sampled_from(vocabulary_words(tokenizer)), max_size=MAX_LENGTH)
        )
        text = " ".join(word.upper() if index % 2 else word for index, word in enumerate(words))
        assert tokenizer.decode(tokenizer.encode(text, MAX_LENGTH)["input_ids"]) == " ".join(words)

    @pytest.mark.parametrize("text", ["[PAD]", "goal [pad] goal", "[UNK] [PAD][PAD]"])
    @pytest.mark.parametrize("corpus", [CORPUS, (*CORPUS, "users type [PAD] and [UNK] too")])
    def test_typed_pad_text_never_becomes_the_padding_id(self, text, corpus):
        """Typed "[PAD]" (known to the vocabulary or not) gives no padding id among the real
        tokens. Catches special-token lookup from text, which would let users hide words
        from the model and shift the attention mask."""
        tokenizer = build_tokenizer(corpus)
        encoded = tokenizer.encode(text, 16)
        real_ids = encoded["input_ids"][encoded["attention_mask"].bool()]
        assert len(real_ids) == len(tokenizer.tokenize(text))
        assert PAD_ID not in real_ids.tolist()

    def test_encode_batch_equals_stacked_encode(self, tokenizer):
        """The batch path gives exactly the single-text results. Catches a batch encoder
        that pads to the longest text instead of max_length, or mixes up rows."""
        texts = ["the chef", "", "the striker scored a late goal for the chef again", "zebra"]
        batch = tokenizer.encode_batch(texts, MAX_LENGTH)
        for name in ("input_ids", "attention_mask"):
            stacked = torch.stack([tokenizer.encode(text, MAX_LENGTH)[name] for text in texts])
            assert torch.equal(batch[name], stacked)

    def test_encode_batch_of_no_texts_has_zero_rows(self, tokenizer):
        """An empty batch gives (0, max_length) tensors. Catches a (0,) result that breaks
        code which reads shape[1]."""
        batch = tokenizer.encode_batch([], MAX_LENGTH)
        assert batch["input_ids"].shape == batch["attention_mask"].shape == (0, MAX_LENGTH)

    def test_encode_batch_of_no_texts_is_still_long(self, tokenizer):
        """An empty batch gives int64 ids like any other. Catches torch.tensor([]) defaulting
        to float32, which an embedding layer rejects."""
        assert tokenizer.encode_batch([], MAX_LENGTH)["input_ids"].dtype == torch.long

    def test_decode_drops_padding(self, tokenizer):
        """Padding ids do not appear in decoded text. Catches "[PAD]" leaking into
        predictions' explanations and logs."""
        ids = torch.tensor([tokenizer.vocab.index("chef"), PAD_ID, PAD_ID])
        assert tokenizer.decode(ids) == "chef"

    def test_save_load_round_trip(self, tokenizer, tmp_path):
        """A loaded tokenizer has the same vocabulary and encodes identically. Catches a
        vocabulary re-sorted on load: train/serve skew that no error reports."""
        path = tmp_path / "tokenizer.json"
        tokenizer.save(path)
        loaded = Tokenizer.load(path)
        assert loaded.vocab == tokenizer.vocab
        text = "the chef scored a zebra"
        assert torch.equal(
            loaded.encode(text, MAX_LENGTH)["input_ids"],
            tokenizer.encode(text, MAX_LENGTH)["input_ids"],
        )

    def test_saved_file_is_plain_json_in_id_order(self, tokenizer, tmp_path):
        """The file is human-readable JSON listing words by id. Catches pickled files,
        which cannot be reviewed and execute code when loaded."""
        path = tmp_path / "tokenizer.json"
        tokenizer.save(path)
        assert json.loads(path.read_text(encoding="utf-8")) == {"vocab": tokenizer.vocab}

    def test_load_rejects_a_corrupt_file_naming_it(self, tmp_path):
        """A broken file fails with a ValueError naming the file. Catches a bare
        JSONDecodeError that leaves the user guessing which file is broken."""
        path = tmp_path / "tokenizer.json"
        path.write_text('{"vocab": [', encoding="utf-8")
        with pytest.raises(ValueError, match=r"tokenizer\.json is not a valid tokenizer file"):
            Tokenizer.load(path)

    @pytest.mark.parametrize(
        "data",
        [{}, {"vocab": ["goal"]}, {"vocab": [UNK_TOKEN, PAD_TOKEN, "goal"]}, ["vocab"]],
    )
    def test_from_dict_requires_special_tokens_first(self, data):
        """Data without [PAD], [UNK] at ids 0, 1 is rejected. Catches loading a vocabulary
        from another tool whose ids are all shifted relative to the model's."""
        with pytest.raises(ValueError, match="'vocab' list starting with"):
            Tokenizer.from_dict(data)

    @pytest.mark.parametrize(
        ("words", "message"),
        [
            ([PAD_TOKEN], "not a single normalised token"),
            (["Goal"], "not a single normalised token"),
            (["late goal"], "not a single normalised token"),
            (["goal", "match", "goal"], r"unique, got duplicates \['goal'\]"),
        ],
    )
    def test_rejects_words_text_can_never_produce(self, words, message):
        """Vocabulary words must be unique normalised tokens. Catches a word that can
        never be matched (wasted id) or a duplicate that makes two ids for one word."""
        with pytest.raises(ValueError, match=message):
            Tokenizer(words)

    @pytest.mark.parametrize("max_length", [0, -3, 2.5, True])
    def test_rejects_bad_max_length(self, tokenizer, max_length):
        """max_length must be a positive int. Catches max_length=0 giving empty tensors
        that fail far away in the model."""
        with pytest.raises(ValueError, match="max_length must be an int >= 1"):
            tokenizer.encode("goal", max_length)

    @pytest.mark.parametrize("not_text", [None, 3])
    def test_encode_rejects_non_string(self, tokenizer, not_text):
        """Encoding a non-string fails with a TypeError naming the type. Catches ids
        tokenised from str(None) == "None"."""
        with pytest.raises(TypeError, match=f"text must be a str, got {type(not_text).__name__}"):
            tokenizer.encode(not_text, MAX_LENGTH)

    def test_encode_batch_names_the_bad_text(self, tokenizer):
        """A non-string in a batch is reported with its index. Catches an error that
        gives no way to find the bad row in a large file."""
        with pytest.raises(TypeError, match=r"texts\[2\] must be a str, got float"):
            tokenizer.encode_batch(["goal", "chef", float("nan")], MAX_LENGTH)

    @pytest.mark.parametrize(
        "ids", [[0, 999], torch.tensor([[2, 3]]), torch.tensor([2.0, 3.0]), torch.tensor([-1])]
    )
    def test_decode_rejects_ids_outside_the_vocabulary(self, tokenizer, ids):
        """Out-of-range, float or batched ids fail clearly. Catches negative ids silently
        decoding to the last vocabulary word through Python's negative indexing."""
        with pytest.raises(ValueError, match="ids must be"):
            tokenizer.decode(ids)

    def test_decode_rejects_the_first_id_past_the_vocabulary(self, tokenizer):
        """The id equal to vocab_size is out of range. Catches an off-by-one range check
        (`<=`) that lets it through to a bare IndexError."""
        with pytest.raises(ValueError, match="out-of-range ids"):
            tokenizer.decode([tokenizer.vocab_size])

    def test_decode_rejects_non_integer_ids(self, tokenizer):
        """A list of words (not ids) fails with a TypeError. Catches decoding the tokens of
        a text by accident, which would otherwise fail with a bare comparison error."""
        with pytest.raises(TypeError, match="ids must be a sequence of ints"):
            tokenizer.decode(["chef"])


# Pieces of long texts: normalisation that expands ("\ufdfa" is 18 characters after NFKC,
# "\u3300" five), combining marks of different classes (NFKC reorders and composes them),
# Hangul jamo and compatibility jamo that compose into syllables, and whitespace runs.
LONG_TEXT_PIECES = (
    "\ufdfa", "\u3300", "\ufb01", "e", "\u0301", "\u0316", "\u0345", "\u1100", "\u1161",
    "\u11a8", "\u3131", "\u314f", "\uac00", " ", "   ", "\n\t", "\u3000", "goal", "!", "x" * 300,
)  # fmt: skip
LONG_TEXT = st.lists(st.sampled_from(LONG_TEXT_PIECES), max_size=80).map("".join)
# Starts a segment boundary (1,024 characters in) somewhere inside the tricky characters.
TEXT_ACROSS_A_SEGMENT = st.builds(
    lambda offset, text: "x" * (1024 - offset) + text,
    st.integers(0, 30),
    st.text(alphabet=st.sampled_from(TRICKY_CHARACTERS + "".join(LONG_TEXT_PIECES[:13])),
            max_size=30),
)  # fmt: skip


class TestLongTexts:
    @given(text=TEXT_ACROSS_A_SEGMENT)
    @example(text="x" * 1024 + "\u0301")  # a mark right after the cut composes with the "x"
    @example(text="x" * 1023 + "\u1100\u1161\u11a8")  # one syllable across the cut
    @example(text="x" * 1023 + "\u1100\u314f")  # compatibility jamo: NFKD gives a vowel jamo
    def test_normalising_in_segments_equals_normalising_at_once(self, text):
        """Long texts are normalised in segments and give the same text as one NFKC pass
        over all of it. Catches a segment cut where NFKC would have joined characters (a
        mark or a jamo composed with the one before), which changes the tokens of long
        texts between training and serving."""
        at_once = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
        assert normalize_text(text) == " ".join(at_once.split())

    @given(text=LONG_TEXT, max_length=st.integers(1, 64))
    @example(text="x" * 1020 + " striker", max_length=2)  # the segment cut splits "striker"
    def test_encoding_reads_a_prefix_but_equals_encoding_everything(
        self, tokenizer, text, max_length
    ):
        """The ids of a text are those of its first max_length tokens, though encoding
        stops reading once it has them. Catches a cut mid-word or mid-character that
        changes the last kept token, and truncating before normalising."""
        kept = Tokenizer.tokenize(text)[:max_length]
        ids = [tokenizer.vocab.index(t) if t in tokenizer.vocab else UNK_ID for t in kept]
        expected = ids + [PAD_ID] * (max_length - len(ids))
        assert tokenizer.encode(text, max_length)["input_ids"].tolist() == expected

    @pytest.mark.parametrize(
        "piece", ["\ufdfa", "the striker scored ", "\u4e2d\u6587 ", "e\u0301 "]
    )
    def test_cost_does_not_grow_with_the_text(self, tokenizer, monkeypatch, piece):
        """Encoding a text 100 times longer normalises no more characters. Catches
        normalising or tokenising the whole text before truncating it, which made one
        megabyte of "\ufdfa" cost seconds and hundreds of MB per prediction."""
        lengths = []
        normalize = unicodedata.normalize

        def counting_normalize(form: str, text: str) -> str:
            lengths.append(len(text))
            return normalize(form, text)

        monkeypatch.setattr(unicodedata, "normalize", counting_normalize)

        def characters_normalised(text: str) -> int:
            lengths.clear()
            tokenizer.encode(text, MAX_LENGTH)
            return sum(lengths)

        short = piece * (10_000 // len(piece))
        assert characters_normalised(short * 100) == characters_normalised(short)

"""A word-level tokenizer: deterministic normalisation, fixed-length ids, JSON persistence.

Token ids are what the model was trained on, so the same text must give the same ids
on every machine and in every process: normalisation is pure Unicode/regex work, and
the vocabulary order is fixed by frequency with alphabetical ties.

Encoding reads only as much of a text as its first ``max_length`` tokens need, so one
prediction costs the same for a sentence and for a megabyte of text: the text is
normalised segment by segment, each cut where normalisation cannot join what comes after
to what came before, and tokenising stops once enough tokens are known.
"""

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Self

import torch
from torch import Tensor

PAD_TOKEN = "[PAD]"
UNK_TOKEN = "[UNK]"
PAD_ID = 0
UNK_ID = 1
_SPECIAL_TOKENS = (PAD_TOKEN, UNK_TOKEN)  # ids 0 and 1, in this order

# A word is a run of letters/digits/underscores; every other non-space character is a
# token of its own. Typed "[PAD]" therefore becomes "[", "pad", "]", never the pad token.
_WORD_OR_PUNCTUATION = re.compile(r"\w+|[^\w\s]")


# Raw characters normalised at a time, and how far past that a cut may wait for a character
# that starts a new segment. A longer run of combining characters is cut anyway: Unicode's
# stream-safe format (UAX #15) allows 30, and NFKC's reordering is quadratic in the run.
_SEGMENT_LENGTH = 1024
_MAX_UNSAFE_RUN = 32
# Hangul vowel and final-consonant jamo compose with the syllable before them.
_HANGUL_JUNGSEONG_JONGSEONG = ("\u1160", "\u11ff")
_HANGUL_JAMO_EXTENDED_B = ("\ud7b0", "\ud7ff")


def _starts_segment(char: str) -> bool:
    """Whether NFKC can never join ``char`` to the characters before it.

    True for a character whose decomposition starts with a starter that is no combining
    mark and no Hangul vowel/final jamo: the only characters that compose backwards.
    """
    first = unicodedata.normalize("NFKD", char)[0]
    return not (
        unicodedata.combining(first)
        or unicodedata.category(first).startswith("M")
        or _HANGUL_JUNGSEONG_JONGSEONG[0] <= first <= _HANGUL_JUNGSEONG_JONGSEONG[1]
        or _HANGUL_JAMO_EXTENDED_B[0] <= first <= _HANGUL_JAMO_EXTENDED_B[1]
    )


def _segments(text: str) -> Iterator[str]:
    """Consecutive pieces of ``text`` that normalise independently of each other."""
    start = 0
    while start < len(text):
        end = start + _SEGMENT_LENGTH
        limit = min(end + _MAX_UNSAFE_RUN, len(text))
        while end < limit and not _starts_segment(text[end]):
            end += 1
        yield text[start:end]
        start = end


def _fold(segment: str) -> str:
    """NFKC, casefold, NFKC again (folding can undo composition, e.g. "ß" + accent)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", segment).casefold())


def _check_text(text: object) -> None:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")


def normalize_text(text: str) -> str:
    """Unicode NFKC, casefold, collapse whitespace runs to one space, strip. Idempotent."""
    _check_text(text)
    return " ".join("".join(map(_fold, _segments(text))).split())


def leading_tokens(text: str, count: int) -> list[str]:
    """``Tokenizer.tokenize(text)[:count]``, normalising only the segments those need.

    Tokenising stops once a token beyond the first ``count`` is known, since that proves
    the last of them complete; the amount tokenised doubles each time, so the work stays
    proportional to what is finally used.
    """
    _check_text(text)
    folded: list[str] = []
    size, enough = 0, _SEGMENT_LENGTH
    for segment in _segments(text):
        folded.append(_fold(segment))
        size += len(segment)
        if size >= enough:
            tokens = _WORD_OR_PUNCTUATION.findall("".join(folded))
            if len(tokens) > count:
                return tokens[:count]
            enough *= 2
    return _WORD_OR_PUNCTUATION.findall("".join(folded))[:count]


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


def _check_texts(texts: object) -> None:
    """Raise a TypeError unless `texts` is a sequence of str, naming the first bad item."""
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise TypeError(f"texts must be a sequence of str, got {type(texts).__name__}")
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{index}] must be a str, got {type(text).__name__}")


class Tokenizer:
    """Maps text to fixed-length id tensors over the vocabulary [PAD, UNK, *words]."""

    def __init__(self, words: Sequence[str]) -> None:
        _check_texts(words)
        for word in words:
            if [word] != self.tokenize(word):
                raise ValueError(
                    f"vocabulary word {word!r} is not a single normalised token "
                    "(the special tokens are added by the tokenizer itself)"
                )
        duplicates = sorted(word for word, count in Counter(words).items() if count > 1)
        if duplicates:
            raise ValueError(f"vocabulary words must be unique, got duplicates {duplicates}")
        self.vocab: list[str] = [*_SPECIAL_TOKENS, *words]
        # Only real words can be looked up: text can never produce the padding id.
        self._word_to_id = {
            word: index for index, word in enumerate(words, start=len(_SPECIAL_TOKENS))
        }

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def pad_id(self) -> int:
        return PAD_ID

    @property
    def unk_id(self) -> int:
        return UNK_ID

    @staticmethod
    def tokenize(text: str) -> list[str]:
        """Normalise `text` and split it into words and punctuation marks."""
        return _WORD_OR_PUNCTUATION.findall(normalize_text(text))

    def _padded_ids(self, text: str, max_length: int) -> list[int]:
        ids = [self._word_to_id.get(token, UNK_ID) for token in leading_tokens(text, max_length)]
        return ids + [PAD_ID] * (max_length - len(ids))

    def encode_batch(self, texts: Sequence[str], max_length: int) -> dict[str, Tensor]:
        """Encode texts to {"input_ids", "attention_mask"}, LongTensors (batch, max_length).

        Long texts are truncated (their start is kept), short ones padded with PAD_ID;
        the attention mask is 1 on real tokens and 0 on padding.
        """
        _check_texts(texts)
        _check_int("max_length", max_length, minimum=1)
        rows = [self._padded_ids(text, max_length) for text in texts]
        # One tensor built from nested lists, instead of one small tensor per text.
        input_ids = torch.tensor(rows, dtype=torch.long).reshape(len(texts), max_length)
        return {"input_ids": input_ids, "attention_mask": (input_ids != PAD_ID).long()}

    def encode(self, text: str, max_length: int) -> dict[str, Tensor]:
        """Encode one text to {"input_ids", "attention_mask"}, LongTensors (max_length,)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        batch = self.encode_batch([text], max_length)
        return {name: row[0] for name, row in batch.items()}

    def decode(self, ids: Tensor | Sequence[int]) -> str:
        """Turn one id sequence back into space-separated tokens, dropping padding."""
        if isinstance(ids, Tensor):
            if ids.ndim != 1 or ids.is_floating_point() or ids.is_complex():
                raise ValueError(
                    f"ids must be a 1-D integer tensor, got {ids.dtype} of shape {tuple(ids.shape)}"
                )
            ids = ids.tolist()
        elif not all(isinstance(i, int) for i in ids):
            raise TypeError(f"ids must be a sequence of ints, got {list(ids)[:5]}")
        out_of_range = [i for i in ids if not 0 <= i < self.vocab_size]
        if out_of_range:
            raise ValueError(
                f"ids must be in [0, {self.vocab_size}), got out-of-range ids {out_of_range[:5]}"
            )
        return " ".join(self.vocab[i] for i in ids if i != PAD_ID)

    def to_dict(self) -> dict[str, list[str]]:
        """The vocabulary in id order, as JSON-ready data."""
        return {"vocab": list(self.vocab)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        """Rebuild a tokenizer from `to_dict()` output."""
        vocab = data.get("vocab") if isinstance(data, Mapping) else None
        if not isinstance(vocab, list) or tuple(vocab[:2]) != _SPECIAL_TOKENS:
            raise ValueError(
                f"tokenizer data must have a 'vocab' list starting with {PAD_TOKEN!r}, "
                f"{UNK_TOKEN!r}, got {type(data).__name__} without one"
            )
        return cls(vocab[len(_SPECIAL_TOKENS) :])

    def save(self, path: str | Path) -> None:
        """Write the vocabulary to `path` as UTF-8 JSON."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=0)
        Path(path).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a tokenizer written by `save`."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls.from_dict(data)
        except ValueError as error:  # also json.JSONDecodeError and UnicodeDecodeError
            raise ValueError(f"{path} is not a valid tokenizer file: {error}") from error


def build_tokenizer(
    texts: Sequence[str], min_freq: int = 1, max_vocab_size: int | None = None
) -> Tokenizer:
    """Build the vocabulary of `texts`: words seen at least `min_freq` times.

    Words are ordered by descending frequency, ties alphabetically, so the same corpus
    gives the same ids regardless of text order. `max_vocab_size` caps the total
    vocabulary (the two special tokens included) by keeping the most frequent words.
    """
    _check_texts(texts)
    if not texts:
        raise ValueError("texts must contain at least one text to build a vocabulary from")
    _check_int("min_freq", min_freq, minimum=1)
    if max_vocab_size is not None:
        _check_int("max_vocab_size", max_vocab_size, minimum=len(_SPECIAL_TOKENS))
    counts = Counter(token for text in texts for token in Tokenizer.tokenize(text))
    words = sorted((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))
    if max_vocab_size is not None:
        words = words[: max_vocab_size - len(_SPECIAL_TOKENS)]
    return Tokenizer(words)

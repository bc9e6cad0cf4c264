"""Text to tokens, per language, the same for what is stored and what is queried.

The choices are text_choices.py's. Stemming is Snowball's (PyStemmer: the Snowball project's
C stemmers, a wheel under 1 MB); stop words are bm25s's lists. CJK text is cut into bigrams,
which needs no dictionary (jieba, MeCab or Kiwi would each bring tens of MB).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from functools import cache

# Snowball's name for each language a configuration may name with a stemmer.
STEMMED = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "pt": "portuguese",
    "it": "italian",
    "de": "german",
    "nl": "dutch",
}
BIGRAMS = frozenset({"zh", "ja", "ko"})

# Scripts written without spaces between words (and Hangul, which Lucene's CJK analysis
# bigrams too): Han, Hiragana, Katakana, Hangul syllables and jamo.
_CJK = (
    "\u1100-\u11ff\u3040-\u309f\u30a0-\u30ff\u3130-\u318f\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
)
_HAN_OR_HIRAGANA = re.compile("[\u3040-\u309f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_RUNS = re.compile(f"([{_CJK}]+)")
# A word: letters and digits, with inner apostrophes ("l'eau", "don't").
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# The typographic apostrophe (U+2019) reads as the plain one.
_APOSTROPHES = str.maketrans({"\u2019": "'"})

# Articles and pronouns elided before a vowel: "l'eau" is analysed as "eau".
_ELISIONS = {
    "fr": frozenset(("l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "lorsqu", "puisqu")),
    "it": frozenset(
        ("c", "l", "all", "dall", "dell", "nell", "sull", "coll", "gl", "un", "m", "t", "s", "d")
    ),
}


def analyze(text: str, language: str | None) -> list[str]:
    """The tokens of `text` under the analyzer of `language` (None: the standard one)."""
    tokens: list[str] = []
    normal = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    for part in _RUNS.split(normal):
        if not part:
            continue
        if _RUNS.fullmatch(part):
            tokens += _bigrams(part) if language in BIGRAMS else _standard_cjk(part)
        else:
            tokens += _words(part, language)
    return tokens


def _words(text: str, language: str | None) -> list[str]:
    words = _WORD.findall(text)
    if language not in STEMMED:
        return words
    assert language is not None
    elided = _ELISIONS.get(language)
    if elided is not None:
        words = [_elide(word, elided) for word in words]
    elif language == "en":
        words = [word.removesuffix("'s") for word in words]
    stop = _stop_words(language)
    kept = [word for word in words if word not in stop]
    return _stemmer(language)(kept)


def _elide(word: str, articles: frozenset[str]) -> str:
    head, apostrophe, tail = word.partition("'")
    return tail if apostrophe and tail and head in articles else word


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _standard_cjk(run: str) -> list[str]:
    """Lucene's standard tokenizer: a Han or Hiragana character is a token of its own, a run
    of Katakana or Hangul one token."""
    tokens: list[str] = []
    word = ""
    for char in run:
        if _HAN_OR_HIRAGANA.fullmatch(char):
            if word:
                tokens.append(word)
                word = ""
            tokens.append(char)
        else:
            word += char
    if word:
        tokens.append(word)
    return tokens


@cache
def _stop_words(language: str) -> frozenset[str]:
    from bm25s import stopwords

    lists = {
        "en": stopwords.STOPWORDS_EN,
        "fr": stopwords.STOPWORDS_FRENCH,
        "es": stopwords.STOPWORDS_SPANISH,
        "pt": stopwords.STOPWORDS_PORTUGUESE,
        "it": stopwords.STOPWORDS_ITALIAN,
        "de": stopwords.STOPWORDS_GERMAN,
        "nl": stopwords.STOPWORDS_DUTCH,
    }
    return frozenset(unicodedata.normalize("NFKC", w).casefold() for w in lists[language])


# A PyStemmer object is not to be shared between threads: one per thread and language.
_local = threading.local()


def _stemmer(language: str) -> Callable[[list[str]], list[str]]:
    stemmers = _local.__dict__.setdefault("stemmers", {})
    stemmer = stemmers.get(language)
    if stemmer is None:
        import Stemmer

        stemmer = stemmers[language] = Stemmer.Stemmer(STEMMED[language])
    return stemmer.stemWords  # type: ignore[no-any-return]

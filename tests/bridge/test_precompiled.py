"""Precompiled code (precompiled.py): what the libraries write and compile while the bridge
loads, recorded once and found again at a cold start, changes nothing but the work.

Each case runs in a fresh interpreter (the recorded code stands in inside the standard
library's typing, dataclasses and collections, which a test must not leave changed): it
imports a module of classes made the ways the libraries make them (dataclasses of several
kinds, a namedtuple, TypedDicts whose annotations are strings) and prints what those classes
do. Made with the recorded code, made while recording and made without, they do the same.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

LAMBDA_SOURCE = Path(__file__).resolve().parents[2] / "lambda_src"

# Classes made as pydantic, annotated_types, pydantic_core and botocore make theirs.
CLASSES = """
import dataclasses
from collections import namedtuple
from typing import Any, TypedDict, NotRequired


@dataclasses.dataclass(frozen=True, slots=True)
class Bound:
    ge: float | None = None
    le: float | None = None


@dataclasses.dataclass(order=True)
class Entry:
    key: str
    rank: int = 0
    tags: list[str] = dataclasses.field(default_factory=list)
    note: str = dataclasses.field(default="", repr=False, compare=False)


@dataclasses.dataclass(kw_only=True, eq=False)
class Options:
    name: str
    retries: int = 3

    def __post_init__(self) -> None:
        self.name = self.name.strip()


Point = namedtuple("Point", "x y", defaults=[0])


class Schema(TypedDict, total=False):
    type: "str"
    ref: "NotRequired[str]"
    items: "list[Schema]"
    extra: "dict[str, Any] | None"
"""

# What the classes do, as JSON: made with whatever code stands in at the time.
FINGERPRINT = """
import dataclasses, json, sys, typing
sys.path.insert(0, sys.argv[1])
import classes as c

b, e1, e2 = c.Bound(1.0, 2.0), c.Entry("a", 2, ["x"], "n"), c.Entry("a", 3)
o, p = c.Options(name="  n "), c.Point(1)
try:
    b.ge = 5.0
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
hints = typing.get_type_hints(c.Schema)
fingerprint = {
    "repr": [repr(b), repr(e1), repr(o), repr(p)],
    "eq": [b == c.Bound(1.0, 2.0), e1 == c.Entry("a", 2, ["x"], "other"), o == c.Options(name="n")],
    "order": [e1 < e2, sorted([e2, e1]) == [e1, e2]],
    "hash": hash(b) == hash(c.Bound(1.0, 2.0)),
    "frozen": frozen,
    "slots": c.Bound.__slots__,
    "post_init": o.name,
    "defaults": [e2.tags, p.y, c.Options(name="x").retries],
    "init_annotations": {
        cls.__name__: {k: str(v) for k, v in cls.__init__.__annotations__.items()}
        for cls in (c.Bound, c.Entry, c.Options)
    },
    "fields": [f.name for f in dataclasses.fields(c.Entry)],
    "namedtuple": [p._fields, p._asdict(), c.Point._make([3, 4])],
    "typeddict": {
        "annotations": {k: repr(v) for k, v in c.Schema.__annotations__.items()},
        "hints": {k: str(v) for k, v in hints.items()},
        "optional": sorted(c.Schema.__optional_keys__),
    },
}
print(json.dumps(fingerprint, default=str))
"""

RECORD = """
import sys
from pathlib import Path
from s3vl_bridge import precompiled
with precompiled.recording(Path(sys.argv[2])) as recorded:
    exec(open(sys.argv[3]).read())
print("RECORDED", len(recorded))
"""

REPLAY = """
import collections, dataclasses, json, sys, typing
from pathlib import Path
from s3vl_bridge import precompiled

def standing_in():
    sites = (typing, dataclasses, collections)
    return sorted(n for m in sites for n in ("compile", "exec", "eval") if n in vars(m))

loaded = precompiled.load(Path(sys.argv[2]))
shadowed = standing_in()
exec(open(sys.argv[3]).read())
precompiled.unload()
print("REPLAY", json.dumps({
    "loaded": loaded,
    "shadowed": shadowed,
    "restored": standing_in(),
    "missed": [source for _, source in precompiled.missed],
}))
"""


def _python(code: str, *arguments: str, flags: tuple[str, ...] = ()) -> list[str]:
    done = subprocess.run(
        [sys.executable, *flags, "-c", code, *arguments],
        env={"PYTHONPATH": str(LAMBDA_SOURCE), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The classes made three ways: recording, with the recording, without."""
    where = tmp_path_factory.mktemp("precompiled")
    (where / "classes.py").write_text(CLASSES)
    fingerprint = where / "fingerprint.py"
    fingerprint.write_text(FINGERPRINT)
    recorded = where / "recorded.marshal"
    args = (str(where), str(recorded), str(fingerprint))
    while_recording = _python(RECORD, *args)
    replayed = _python(REPLAY, *args)
    return {
        "where": where,
        "file": recorded,
        "recorded": int(while_recording[-1].split()[1]),
        "while_recording": json.loads(while_recording[-2]),
        "replayed": json.loads(replayed[-2]),
        "replay": json.loads(replayed[-1].split(" ", 1)[1]),
        "without": json.loads(_python(FINGERPRINT, str(where))[-1]),
    }


def test_classes_made_with_the_recorded_code_do_what_they_do_without_it(made):
    # Four dataclasses, a namedtuple, four forward references (and get_type_hints' own).
    assert made["recorded"] >= 8
    assert made["replay"] == {
        "loaded": True,
        "shadowed": ["compile", "eval", "exec"],
        "restored": [],
        "missed": [],
    }
    assert made["replayed"] == made["without"]
    assert made["while_recording"] == made["without"]
    assert made["without"]["init_annotations"]["Entry"]["key"] == "<class 'str'>"


RECORDED_CODE = """
import __future__, collections, dataclasses, json, marshal, sys, typing
from importlib.util import MAGIC_NUMBER
content = open(sys.argv[1], "rb").read()
header = MAGIC_NUMBER + bytes([sys.flags.optimize])
recorded = marshal.loads(content[len(header):])
features = [
    name for module in (collections, dataclasses, typing)
    for name, value in vars(module).items() if isinstance(value, __future__._Feature)
]
print(json.dumps({
    "header": content.startswith(header),
    "modes": sorted({mode for mode, _ in recorded}),
    "same": all(
        code == compile(source, "<string>", mode, dont_inherit=True)
        for (mode, source), code in recorded.items()
    ),
    "features": features,
}))
"""


def test_each_recorded_code_object_is_what_compile_gives_for_its_text(made):
    """compile() there inherits the flags of typing, dataclasses and collections, which
    import no __future__ feature: the same as dont_inherit."""
    outcome = json.loads(_python(RECORDED_CODE, str(made["file"]))[-1])
    assert outcome == {"header": True, "modes": ["eval", "exec"], "same": True, "features": []}


def test_a_text_the_file_does_not_hold_is_compiled_as_before_and_noted(made, tmp_path):
    (tmp_path / "classes.py").write_text(
        CLASSES + "\n\n@dataclasses.dataclass\nclass Added:\n    value: int = 1\n"
    )
    replayed = _python(
        REPLAY,
        str(tmp_path),
        str(made["file"]),
        str(made["where"] / "fingerprint.py"),
    )
    assert json.loads(replayed[-2]) == made["without"]
    missed = json.loads(replayed[-1].split(" ", 1)[1])["missed"]
    assert missed  # the methods of Added, compiled here
    assert all("value" in source for source in missed)


def test_a_file_written_for_another_interpreter_is_not_used(made, tmp_path):
    content = made["file"].read_bytes()
    other_magic = tmp_path / "other.marshal"
    other_magic.write_bytes(bytes([content[0] ^ 0xFF]) + content[1:])
    args = (str(made["where"]), str(other_magic), str(made["where"] / "fingerprint.py"))
    outcome = json.loads(_python(REPLAY, *args)[-1].split(" ", 1)[1])
    assert outcome["loaded"] is False
    assert outcome["shadowed"] == []
    # Recorded without -O: an interpreter running with -O (no asserts) compiles its own.
    args = (str(made["where"]), str(made["file"]), str(made["where"] / "fingerprint.py"))
    optimised = _python(REPLAY, *args, flags=("-O",))
    assert json.loads(optimised[-1].split(" ", 1)[1])["loaded"] is False


def test_without_a_file_nothing_stands_in(made, tmp_path):
    args = (
        str(made["where"]),
        str(tmp_path / "absent.marshal"),
        str(made["where"] / "fingerprint.py"),
    )
    outcome = json.loads(_python(REPLAY, *args)[-1].split(" ", 1)[1])
    assert outcome == {"loaded": False, "shadowed": [], "restored": [], "missed": []}

"""Byte code for the source text that libraries write and compile while the bridge loads.

The bundle ships .pyc files so that no module is compiled at a cold start, yet some code is
written at import time and compiled then, at every cold start (issue 11, bench_cold_start,
counted with callgrind: about 190 M of 1,160 M instructions):
- dataclasses: each @dataclass class's methods (pydantic's and annotated_types' ~45 classes);
- typing: each string annotation of a TypedDict, a ForwardRef compiled on the spot
  (pydantic_core.core_schema's ~600);
- collections.namedtuple: each class's __new__ (botocore's).

infra/bundling.py records, with the runtime's Python, what a load of every operation compiles
into FILE_NAME beside this module. From the top of the handler's import to the end of the
first invocation (load .. unload), those three modules find the recorded code object of a
text recorded character for character, and compile any other text as before. A recorded code
object is what compile() returns for the same text and mode under the same Python: the file
starts with the interpreter's magic number and optimisation level, and any other interpreter
ignores it. These modules and this one import no __future__ feature, so a text compiled here
gets the flags it would get there (none). After unload the three modules are as they were.

This module must not import `from __future__ import annotations` (see above).
"""

import builtins
import collections
import dataclasses
import sys
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from types import CodeType

FILE_NAME = "precompiled.marshal"
FILE = Path(__file__).with_name(FILE_NAME)
# The file name compile() gets from each of the three modules for generated text.
GENERATED = "<string>"

_code: dict[tuple[str, str], CodeType] = {}
# The recording under way, if any (infra/bundling.py).
_recording: list[dict[tuple[str, str], CodeType]] = []
_installed: list[tuple[object, str]] = []
# Texts compiled while loaded that the file did not hold (a test checks a cold start has none).
missed: list[tuple[str, str]] = []


def _header() -> bytes:
    return MAGIC_NUMBER + bytes([sys.flags.optimize])


def _code_for(source: str, mode: str) -> CodeType:
    code = _code.get((mode, source))
    if code is None:
        code = builtins.compile(source, GENERATED, mode, dont_inherit=True)
        if _recording:
            _recording[0][(mode, source)] = code
        else:
            missed.append((mode, source))
    return code


def _compile(
    source: typing.Any, filename: typing.Any, mode: str, *args: typing.Any, **kw: typing.Any
) -> typing.Any:
    """typing.ForwardRef: compile(text, "<string>", "eval")."""
    if isinstance(source, str) and filename == GENERATED and not args and not kw:
        return _code_for(source, mode)
    return builtins.compile(source, filename, mode, *args, **kw)


def _exec(
    source: typing.Any, globals: typing.Any = None, locals: typing.Any = None, /, **kw: typing.Any
) -> None:
    """dataclasses: exec(text, globals, namespace)."""
    if globals is None:  # not the call this stands for: run it where it was called
        caller = sys._getframe(1)
        globals, locals = caller.f_globals, caller.f_locals if locals is None else locals
    if isinstance(source, str) and not kw:
        source = _code_for(source, "exec")
    builtins.exec(source, globals, locals, **kw)  # noqa: S102 (the call it stands for)


def _eval(
    source: typing.Any, globals: typing.Any = None, locals: typing.Any = None, /
) -> typing.Any:
    """collections.namedtuple: eval(text, namespace)."""
    if globals is None:
        caller = sys._getframe(1)
        globals, locals = caller.f_globals, caller.f_locals if locals is None else locals
    if isinstance(source, str):
        source = _code_for(source, "eval")
    return builtins.eval(source, globals, locals)  # noqa: S307 (the call it stands for)


# Where generated text is compiled: (module, the builtin it calls, what stands in for it).
_SITES = ((typing, "compile", _compile), (dataclasses, "exec", _exec), (collections, "eval", _eval))


def _install() -> None:
    for module, name, stand_in in _SITES:
        if name not in vars(module):  # a module's own global by that name is left alone
            setattr(module, name, stand_in)
            _installed.append((module, name))


def load(path: Path = FILE) -> bool:
    """Install the recorded code (at the top of the handler's import); False when there is
    none for this interpreter (no file: tests, local hosts; or another Python's)."""
    if _installed or _recording:
        return False
    try:
        content = path.read_bytes()
    except OSError:
        return False
    header = _header()
    if not content.startswith(header):
        return False
    import marshal

    # The bundle's own file, written by the recording below with this very interpreter.
    _code.update(marshal.loads(content[len(header) :]))  # noqa: S302
    _install()
    return True


def unload() -> None:
    """The three modules as they were, the recorded code dropped (end of the first invocation)."""
    while _installed:
        module, name = _installed.pop()
        delattr(module, name)
    _code.clear()


@contextmanager
def recording(path: Path) -> Iterator[dict[tuple[str, str], CodeType]]:
    """Record every text compiled at the three sites inside the block into `path`
    (infra/bundling.py, with the runtime's Python, loading every operation)."""
    import marshal

    recorded: dict[tuple[str, str], CodeType] = {}
    _recording.append(recorded)
    _install()
    try:
        yield recorded
    finally:
        unload()
        _recording.clear()
    path.write_bytes(_header() + marshal.dumps(recorded))

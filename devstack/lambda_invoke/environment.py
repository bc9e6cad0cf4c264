"""The environment variables of a function container hosted in this process.

A Lambda container has an environment of its own; here every container shares the
process's one os.environ, which the hosted code reads whenever it likes (at import, when it
builds its settings or a boto3 client). So a container's variables are applied only while
its code runs, at its import and during each invocation, and the process's own values come
back afterwards. While one container's code runs, another container's code waits for its
turn; invocations of one container (or of containers with the same variables) run side by
side.

A turn that its caller gave up on (the invocation timed out, or the container was stopped)
is withdrawn: the thread that runs it cannot be killed and may go on, but the process's
environment is no longer kept for it, so it cannot hold other containers up.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType


class ContainerEnvironment:
    """One container's variables, and its turns at the process's os.environ."""

    def __init__(self, variables: Mapping[str, str]) -> None:
        self.variables: Mapping[str, str] = MappingProxyType(dict(variables))
        self._closed = False

    def turn(self) -> Turn:
        """A turn for one piece of this container's work: begin() waits for it."""
        return Turn(self)

    @contextmanager
    def applied(self) -> Iterator[None]:
        """The variables applied for the block (e.g. importing the handler)."""
        turn = self.turn()
        if not turn.begin():
            raise RuntimeError("the container is stopped: its environment cannot be applied")
        try:
            yield
        finally:
            turn.end()

    def close(self) -> None:
        """The container is stopped: its running turns are withdrawn, waiting ones refused."""
        _SLOT.close(self)

    @property
    def closed(self) -> bool:
        return self._closed


class Turn:
    """One piece of a container's work holding the process's environment."""

    def __init__(self, environment: ContainerEnvironment) -> None:
        self.environment = environment
        self.withdrawn = False

    def begin(self) -> bool:
        """Wait until the container's variables can be applied, then apply them; False when
        the turn was withdrawn (or the container stopped) before that."""
        return _SLOT.begin(self)

    def end(self) -> None:
        """The work is done: when it was the last turn, the process's values come back."""
        _SLOT.end(self)

    def withdraw(self) -> None:
        """The caller gave up on this work: release the environment (or never take it)."""
        _SLOT.end(self, withdraw=True)


class _ProcessEnvironment:
    """Who holds os.environ now: the variables applied, the turns running, what was there."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._variables: Mapping[str, str] | None = None  # applied now, or None
        self._turns: set[Turn] = set()
        self._saved: dict[str, str | None] = {}

    def begin(self, turn: Turn) -> bool:
        wanted = turn.environment.variables
        with self._changed:
            while not self._refused(turn) and self._variables not in (None, wanted):
                self._changed.wait()
            if self._refused(turn):
                return False
            if self._variables is None:
                self._saved = {key: os.environ.get(key) for key in wanted}
                os.environ.update(wanted)
                self._variables = wanted
            self._turns.add(turn)
            return True

    def end(self, turn: Turn, *, withdraw: bool = False) -> None:
        with self._changed:
            turn.withdrawn = turn.withdrawn or withdraw
            self._turns.discard(turn)
            self._release_if_unused()

    def close(self, environment: ContainerEnvironment) -> None:
        with self._changed:
            environment._closed = True
            for turn in [t for t in self._turns if t.environment is environment]:
                turn.withdrawn = True
                self._turns.discard(turn)
            self._release_if_unused()

    @staticmethod
    def _refused(turn: Turn) -> bool:
        return turn.withdrawn or turn.environment.closed

    def _release_if_unused(self) -> None:
        if not self._turns and self._variables is not None:
            for key, value in self._saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            self._saved, self._variables = {}, None
        self._changed.notify_all()  # waiting turns look again (a withdrawal, a release)


_SLOT = _ProcessEnvironment()

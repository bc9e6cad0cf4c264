"""A pytest plugin for mutmut's runs (`make mutate`; pyproject's [tool.mutmut]
pytest_add_cli_args): the tests of one mutant run fastest first.

mutmut hands pytest the tests that reach the mutated function in no particular order, and
stops at the first failure (-x). Ordered by the durations mutmut recorded (mutants/
mutmut-stats.json, in the folder the tests run from), a mutant that a quick test catches is
not kept waiting behind the slow ones. Outside a mutmut run (no such file) it does nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_STATS = Path("mutmut-stats.json")


def pytest_collection_modifyitems(items: list[Any]) -> None:
    if not _STATS.is_file():
        return
    durations: dict[str, float] = json.loads(_STATS.read_text()).get("duration_by_test", {})
    items.sort(key=lambda item: durations.get(item.nodeid, 0.0))

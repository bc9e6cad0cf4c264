"""A request body's JSON types against its operation's input shape (botocore's model).

Checked before moto's model-driven parser reads the body: that parser turns "3" and true
into integers without a word, and fails with a Python error (an HTTP 500) on a string where
an object belongs. AWS answers such a body with a 400; so does this, naming the member.
Only types are checked here; lengths, ranges and what a value means are checks.py's, with
their own messages.
"""

from __future__ import annotations

from typing import Any

from botocore.model import Shape

from .errors import ValidationException, json_type_name

# JSON's types for each shape type in the service's model, and how a message names them.
_ACCEPTED: dict[str, tuple[type, ...]] = {
    "structure": (dict,),
    "map": (dict,),
    "list": (list,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "float": (int, float),
}
_NAMES = {
    "structure": "an object",
    "map": "an object",
    "list": "an array",
    "string": "a string",
    "boolean": "true or false",
    "integer": "an integer",
    "float": "a number",
}


def check(shape: Shape, value: Any, path: str = "") -> None:
    """Raise ValidationException naming the first member (depth first, in the model's order)
    whose JSON type its shape does not take. null is left to the checks that follow, as are
    shape types with no JSON type of their own here (blobs, timestamps: none in S3 Vectors'
    request bodies)."""
    accepted = _ACCEPTED.get(shape.type_name)
    if value is None or accepted is None:
        return
    # JSON's true is Python's True, an int: it is a number only where a boolean belongs.
    if not isinstance(value, accepted) or (
        isinstance(value, bool) and shape.type_name != "boolean"
    ):
        raise ValidationException(
            path,  # never empty: json_body took only an object, the structure at the top
            f"must be {_NAMES[shape.type_name]}, got {json_type_name(value)}",
            "Send the request as the S3 Vectors API reference describes it.",
        )
    document: Any = value  # of the type checked above
    if shape.type_name == "structure":
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            if name in document:
                check(member, document[name], f"{path}.{name}" if path else name)
    elif shape.type_name == "list":
        for i, item in enumerate(document):
            check(shape.member, item, f"{path}[{i}]")  # type: ignore[attr-defined]
    elif shape.type_name == "map":
        for key, item in document.items():
            check(shape.value, item, f"{path}.{key}")  # type: ignore[attr-defined]

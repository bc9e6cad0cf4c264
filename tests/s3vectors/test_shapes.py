"""shapes.py knows every shape type S3 Vectors' requests are made of: a botocore update that
brings a new one (a timestamp, a blob) fails here instead of going unchecked."""

from __future__ import annotations

import botocore.session

from devstack.s3vectors import shapes


def _types(shape, seen):
    if shape.name in seen:
        return set()
    seen.add(shape.name)
    found = {shape.type_name}
    if shape.type_name == "structure":
        for member in shape.members.values():
            found |= _types(member, seen)
    elif shape.type_name == "list":
        found |= _types(shape.member, seen)
    elif shape.type_name == "map":
        found |= _types(shape.key, seen) | _types(shape.value, seen)
    return found


def test_every_shape_type_of_the_requests_has_a_json_type_and_a_name():
    model = botocore.session.get_session().get_service_model("s3vectors")
    used = set()
    for operation in model.operation_names:
        shape = model.operation_model(operation).input_shape
        if shape is not None:
            used |= _types(shape, set())
    assert used == set(shapes._ACCEPTED) == set(shapes._NAMES)

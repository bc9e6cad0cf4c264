from typing import Literal

from .common import IndexSelector


class DescribeIndex(IndexSelector):
    operation: Literal["describe_index"]

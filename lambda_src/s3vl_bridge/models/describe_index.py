from .common import IndexSelector


class DescribeIndex(IndexSelector):
    """GetIndex of one served index."""

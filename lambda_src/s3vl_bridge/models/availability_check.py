from typing import Literal

from .common import Request


class AvailabilityCheck(Request):
    """The reference's connectivity probe; `ping` is the short alias."""

    operation: Literal["availability_check", "ping"]

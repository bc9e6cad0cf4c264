from .common import Request


class AvailabilityCheck(Request):
    """The reference's connectivity probe; `ping` is the short alias."""

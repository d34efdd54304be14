"""The exceptions ``journeys`` raises."""

__all__ = ["JourneyError"]


class JourneyError(ValueError):
    """An input that a journey function cannot work with."""

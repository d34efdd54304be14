"""Audit templates as data, answer parsing, scoring and roll-up arithmetic.

No Flask and no database: plain data in, plain data out.
"""

__all__: list[str] = []

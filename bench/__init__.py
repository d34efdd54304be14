"""The benchmark harness: a large synthetic authority timed step by step on one machine.

``python -m bench [--children N] [--database URL ...] [--repeat K] [--out FILE]`` prints a
markdown table (machine, step, median, target, met or missed) and writes it to
``bench/RESULTS.md``.  A step whose feature has not landed says "not available" instead
of failing, so the harness grows with the app.
"""

from .harness import STEP_IDS, Options, run

__all__ = ["Options", "STEP_IDS", "run"]

"""Audit templates as data, answer parsing, scoring and roll-up arithmetic.

No Flask and no database: plain data in, plain data out.
"""

from .agreement import Agreement, Kappa, agreement, grade_pairs, weighted_kappa
from .answers import (
    FieldError,
    ParsedAnswer,
    Submission,
    missing_required,
    parse_answer,
    validate_submission,
)
from .errors import AnswerError, AuditFormsError, SamplingError, TemplateError
from .prefill import Prefill, prefill_answers
from .rollup import (
    GradeDistribution,
    Proportion,
    answer_proportion,
    grade_distribution,
    proportion,
    rank,
    wilson_interval,
)
from .sampling import Draw, SampleSize, allocate, describe_draw, draw, frame_hash, sample_size
from .templates import (
    OFSTED_SCALE,
    ROLLUPS,
    GradeScale,
    Option,
    Question,
    Section,
    Template,
    builtin_templates,
    latest,
    load_template,
    load_templates,
    template_fingerprint,
)

__all__ = [
    "Agreement",
    "AnswerError",
    "AuditFormsError",
    "Draw",
    "FieldError",
    "GradeDistribution",
    "GradeScale",
    "Kappa",
    "OFSTED_SCALE",
    "Option",
    "ParsedAnswer",
    "Prefill",
    "Proportion",
    "Question",
    "ROLLUPS",
    "SampleSize",
    "SamplingError",
    "Section",
    "Submission",
    "Template",
    "TemplateError",
    "agreement",
    "allocate",
    "answer_proportion",
    "builtin_templates",
    "describe_draw",
    "draw",
    "frame_hash",
    "grade_distribution",
    "grade_pairs",
    "latest",
    "load_template",
    "load_templates",
    "missing_required",
    "parse_answer",
    "prefill_answers",
    "proportion",
    "rank",
    "sample_size",
    "template_fingerprint",
    "validate_submission",
    "weighted_kappa",
    "wilson_interval",
]

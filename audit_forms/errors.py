"""The exceptions ``audit_forms`` raises."""

__all__ = ["AuditFormsError", "TemplateError", "AnswerError", "SamplingError"]


class AuditFormsError(ValueError):
    """Base class: an input that an ``audit_forms`` function cannot work with."""


class TemplateError(AuditFormsError):
    """A template file that cannot be loaded; the message names the file and the key."""


class AnswerError(AuditFormsError):
    """An answer that does not fit its question; the message is fit for a GOV.UK error summary.

    ``key`` is the question key, so the app can link the message to its field.
    """

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


class SamplingError(AuditFormsError):
    """A sample that cannot be sized, allocated or drawn as asked."""

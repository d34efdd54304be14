"""Extension objects, unbound; ``create_app`` binds them."""

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

__all__ = ["csrf"]

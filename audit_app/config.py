"""Configuration from the environment, with safe defaults for the demo and tests."""

import os
from pathlib import Path

__all__ = ["load_config", "ConfigError"]

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


class ConfigError(RuntimeError):
    """The app cannot start with this configuration."""


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _population() -> int | None:
    """The area's children under 18, for rates per 10,000 ("45,000" is fine; 0 or unset: none)."""
    for name in ("FRONTDOOR_UNDER_18_POPULATION", "FRONTDOOR_UNDER18_POPULATION"):
        text = (os.environ.get(name) or "").replace(",", "").replace("_", "").strip()
        if text:
            if not text.isdigit():
                raise ConfigError(f"{name} must be a whole number of children, not {text!r}")
            return int(text) or None
    return None


def load_config(test_config: dict | None = None) -> dict:
    """The settings the app runs with: environment first, then ``test_config`` on top."""
    demo = _flag("FRONTDOOR_DEMO")
    config: dict = {
        "DATABASE_URL": os.environ.get("DATABASE_URL")
        or f"sqlite:///{INSTANCE_DIR / 'frontdoor.sqlite3'}",
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "DEMO": demo,
        "TESTING": False,
        "AUTHORITY_NAME": os.environ.get("FRONTDOOR_AUTHORITY", "Northmoor Council"),
        "IDLE_TIMEOUT_MINUTES": int(os.environ.get("FRONTDOOR_IDLE_MINUTES", "30")),
        "ABSOLUTE_TIMEOUT_HOURS": int(os.environ.get("FRONTDOOR_ABSOLUTE_HOURS", "12")),
        "LOGIN_THROTTLE_FAILURES": 5,
        "LOGIN_THROTTLE_MINUTES": 15,
        "MAX_CONTENT_LENGTH": int(os.environ.get("FRONTDOOR_MAX_UPLOAD_MB", "200")) * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("FRONTDOOR_SECURE_COOKIES", default=not demo),
        "SESSION_COOKIE_NAME": "frontdoor_session",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the login session
        "CASE_SYSTEM_URL": os.environ.get("FRONTDOOR_CASE_URL")
        or os.environ.get("FRONTDOOR_CASE_SYSTEM_URL"),
        "LEARNING_TAGS": os.environ.get("FRONTDOOR_LEARNING_TAGS"),
        "SMTP_HOST": os.environ.get("FRONTDOOR_SMTP_HOST"),
        "SMTP_PORT": int(os.environ.get("FRONTDOOR_SMTP_PORT", "25")),
        "MAIL_FROM": os.environ.get("FRONTDOOR_MAIL_FROM", "frontdoor-audit@localhost"),
        "RETENTION": os.environ.get("FRONTDOOR_RETENTION", "7y"),
        "UNDER_18_POPULATION": _population(),
    }
    if test_config:
        config.update(test_config)
    if not config["SECRET_KEY"]:
        if config["TESTING"] or config["DEMO"]:
            config["SECRET_KEY"] = "demo-and-tests-only-" + os.urandom(8).hex()
        else:
            raise ConfigError(
                "SECRET_KEY is not set. Set it to a long random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
                "or run the demo with FRONTDOOR_DEMO=1."
            )
    return config

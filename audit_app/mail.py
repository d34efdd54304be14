"""Outgoing e-mail over SMTP, only when ``FRONTDOOR_SMTP_HOST`` is configured.

A message that cannot be sent is logged by kind only (never its recipients or content)
and reported to the caller, so a mail server being down never breaks a page.
"""

import logging
import smtplib
from collections.abc import Mapping, Sequence
from email.message import EmailMessage

__all__ = ["mail_configured", "send_mail"]

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10


def mail_configured(config: Mapping) -> bool:
    """True when an SMTP host is set."""
    return bool(config.get("SMTP_HOST"))


def send_mail(config: Mapping, to: Sequence[str], subject: str, body: str) -> bool:
    """Send one plain-text message to ``to``; True when the server accepted it."""
    recipients = sorted({address for address in to if address})
    if not mail_configured(config) or not recipients:
        return False
    message = EmailMessage()
    message["From"] = config.get("MAIL_FROM") or "frontdoor-audit@localhost"
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(
            config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25), timeout=TIMEOUT_SECONDS
        ) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("E-mail not sent: %s", type(exc).__name__)
        return False
    return True

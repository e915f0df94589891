"""E-mailing inbox messages when SMTP is configured (``CASEWORKS_SMTP_URL``).

``smtp://user:password@host:587`` talks plain SMTP and upgrades to TLS when the server offers
STARTTLS; ``smtps://user:password@host:465`` uses TLS from the start. A message is e-mailed at
most once (``emailed_dt``); a message the user already read in the app is not e-mailed.
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Optional
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import select

from caseworks.accounts.models import User
from caseworks.core import clock
from caseworks.extensions import db
from caseworks.inbox.models import Message

log = logging.getLogger(__name__)

#: at most this many e-mails per run; the rest go on the next run
MAIL_BATCH = 500
TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: Optional[str]
    password: Optional[str]
    use_ssl: bool


def parse_smtp_url(url) -> SmtpSettings:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(f"not an smtp:// or smtps:// URL: {url!r}")
    use_ssl = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if use_ssl else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_ssl=use_ssl,
    )


def connect(settings: SmtpSettings):
    context = ssl.create_default_context()
    if settings.use_ssl:
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
    if settings.username:
        smtp.login(settings.username, settings.password or "")
    return smtp


def compose(message: Message, address: str) -> EmailMessage:
    config = current_app.config
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = config.get("MAIL_FROM") or "caseworks@localhost"
    email["To"] = address
    email["Date"] = format_datetime(clock.now())
    email["Message-ID"] = make_msgid("inbox", domain="caseworks")
    text = message.body or message.subject
    base_url = (config.get("BASE_URL") or "").rstrip("/")
    if base_url:
        if message.link:
            text += f"\n\n{base_url}{message.link}"
        else:
            text += "\n\n" + (f"{base_url}/cases/{message.case_id}" if message.case_id else f"{base_url}/inbox")
    email.set_content(text)
    return email


def send_pending(limit=MAIL_BATCH) -> dict:
    """E-mail the messages not yet e-mailed to active users with an address. Never raises for
    a mail problem: it is logged, and what was not sent stays pending for the next run."""
    url = current_app.config.get("SMTP_URL")
    if not url:
        return {}
    pending = db.session.execute(
        select(Message, User.email)
        .join(User, User.id == Message.user_id)
        .where(
            Message.emailed_dt.is_(None),
            Message.read_dt.is_(None),
            User.is_active.is_(True),
            User.email.is_not(None),
            User.email != "",
        )
        .order_by(Message.id)
        .limit(limit)
    ).all()
    if not pending:
        return {"emailed": 0}
    sent = refused = 0
    error = None
    try:
        smtp = connect(parse_smtp_url(url))
        try:
            for message, address in pending:
                try:
                    smtp.send_message(compose(message, address))
                except smtplib.SMTPRecipientsRefused:
                    log.warning("the mail server refused %s (message %s)", address, message.id)
                    refused += 1
                    continue
                message.emailed_dt = clock.now()
                sent += 1
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
    except (OSError, ValueError, smtplib.SMTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.warning("e-mail not sent (%s); %d messages stay pending", error, len(pending) - sent)
    db.session.flush()
    summary = {"emailed": sent}
    if refused:
        summary["mail_refused"] = refused
    if error:
        summary["mail_error"] = error
    return summary

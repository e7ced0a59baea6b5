"""Sending email over SMTP with the standard library (``smtplib`` and ``email.message``).

Settings come from the app's config (``config.py`` reads them from the environment):
``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USE_TLS`` (STARTTLS), ``MAIL_USE_SSL``,
``MAIL_USERNAME``, ``MAIL_PASSWORD`` and ``MAIL_DEFAULT_SENDER``. With no ``MAIL_SERVER``
email is **off**: :func:`enabled` is False, nothing is sent, and pages offer the
copy-the-link and print-a-letter ways instead.

Rules kept here:

- **A batch never stops at one failure.** :func:`send_all` sends each :class:`Email` on one
  connection; a refused recipient, a refused message or a dropped connection fails that email
  only (the connection is opened again for the rest), and the :class:`Report` lists which
  failed, with a reason in plain words. Only when the server cannot be reached at all does
  every remaining email fail, each saying so.
- **Nothing personal in the log.** The log says how many were sent and failed, and the SMTP
  error class and code, never an address, a name, a subject or a body (which may hold a
  sign-in link). SMTP errors carry the refused address in their text, so their text is never
  logged or shown. The logger also carries the app's :class:`~grantpanel.security.RedactingFilter`.
- **Send after the commit.** Callers commit the database first, then send: an email never
  announces something a rollback undid. (Services build emails; they never send them.)
- **Plain text.** Messages are plain text (the most accessible, and read on any phone), with
  ``Content-Language`` set to the language they were written in.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from flask import current_app

from grantpanel.i18n import _
from grantpanel.models import utcnow
from grantpanel.security import add_redacting_filter

__all__ = ["Email", "Failure", "MailSettings", "Report", "enabled", "send_all", "settings"]

log = logging.getLogger("grantpanel.mail")
add_redacting_filter(log)

TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    sender: str
    use_tls: bool = False
    use_ssl: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = TIMEOUT_SECONDS


def settings() -> MailSettings | None:
    """The SMTP settings of the current app, or ``None`` when email is off."""
    cfg = current_app.config
    server = cfg.get("MAIL_SERVER")
    if not server:
        return None
    use_ssl = bool(cfg.get("MAIL_USE_SSL"))
    use_tls = bool(cfg.get("MAIL_USE_TLS"))
    port = cfg.get("MAIL_PORT") or (465 if use_ssl else 587 if use_tls else 25)
    sender = cfg.get("MAIL_DEFAULT_SENDER") or f"{cfg.get('ORGANISATION_NAME')} <noreply@{server}>"
    return MailSettings(
        server=str(server), port=int(port), sender=str(sender), use_tls=use_tls,
        use_ssl=use_ssl, username=cfg.get("MAIL_USERNAME") or None,
        password=cfg.get("MAIL_PASSWORD") or None,
    )


def enabled() -> bool:
    """True when a mail server is set up (``MAIL_SERVER``)."""
    return bool(current_app.config.get("MAIL_SERVER"))


@dataclass(frozen=True)
class Email:
    """One message to one person. ``key`` is the caller's handle on it (whom it is for, to
    report a failure by name); it is never logged."""

    to: str
    subject: str
    body: str
    language: str  # a BCP 47 tag, for Content-Language: "en-GB", "cy"
    key: Any = None


@dataclass(frozen=True)
class Failure:
    email: Email
    reason: str  # plain words, translated, with no address in them


@dataclass
class Report:
    """What happened to a batch: the emails sent and those that failed (with why)."""

    sent: list[Email] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    off: bool = False  # email is off: nothing was tried

    @property
    def ok(self) -> bool:
        return not self.failed and not self.off


def _message(email: Email, s: MailSettings) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = s.sender
    msg["To"] = email.to
    msg["Subject"] = " ".join(email.subject.split())  # one line, whatever was typed
    msg["Date"] = format_datetime(utcnow())
    domain = parseaddr(s.sender)[1].rpartition("@")[2] or s.server
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    msg.set_content(email.body, cte="quoted-printable")
    msg["Content-Language"] = email.language  # after set_content, which clears Content-*
    return msg


def _connect(s: MailSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if s.use_ssl:
        smtp = smtplib.SMTP_SSL(s.server, s.port, timeout=s.timeout, context=context)
    else:
        smtp = smtplib.SMTP(s.server, s.port, timeout=s.timeout)
    try:
        if s.use_tls:
            smtp.starttls(context=context)
        if s.username:
            smtp.login(s.username, s.password or "")
    except BaseException:
        _close(smtp)
        raise
    return smtp


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _error_code(e: BaseException) -> str:
    """The SMTP class and reply code of an error, for the log (never its text: it may hold
    the refused address)."""
    code = getattr(e, "smtp_code", None)
    if isinstance(e, smtplib.SMTPRecipientsRefused) and e.recipients:
        code = next(iter(e.recipients.values()))[0]
    return f"{type(e).__name__}{f' {code}' if code else ''}"


def _unreachable() -> str:
    return _("The mail server could not be reached. Try again later.")


def _reason(e: BaseException) -> str:
    if isinstance(e, smtplib.SMTPRecipientsRefused | smtplib.SMTPNotSupportedError):
        return _("The mail server would not take this email address. Check it is right.")
    if isinstance(e, smtplib.SMTPAuthenticationError):
        return _("The mail server refused the site's sign-in. Check MAIL_USERNAME and "
                 "MAIL_PASSWORD.")
    if isinstance(e, smtplib.SMTPSenderRefused):
        return _("The mail server would not send from the site's address. Check "
                 "MAIL_DEFAULT_SENDER.")
    if isinstance(e, smtplib.SMTPResponseException) and 400 <= e.smtp_code < 500:
        return _("The mail server was busy and did not take this email. Try again later.")
    if isinstance(e, smtplib.SMTPResponseException):
        return _("The mail server refused this email.")
    return _unreachable()


def send_all(emails: Iterable[Email], *, kind: str = "message") -> Report:
    """Send every email in ``emails`` over SMTP; return what was sent and what failed.

    Call it after the database commit. With email off, nothing is tried and the report says
    so (``off``). ``kind`` names the batch in the log ("reminder"): counts only.
    """
    batch = list(emails)
    report = Report()
    s = settings()
    if s is None:
        report.off = True
        return report
    if not batch:
        return report
    smtp: smtplib.SMTP | None = None
    try:
        for i, email in enumerate(batch):
            if smtp is None:
                try:
                    smtp = _connect(s)
                except (smtplib.SMTPException, OSError) as e:
                    # No connection (or the server refused the site's sign-in): the rest
                    # would fail the same way, so each says why and none is tried.
                    log.warning("mail.failed kind=%s error=%s", kind, _error_code(e))
                    report.failed.extend(Failure(rest, _reason(e)) for rest in batch[i:])
                    break
            try:
                message = _message(email, s)
            except ValueError as e:  # an address the email library cannot write
                log.warning("mail.failed kind=%s error=%s", kind, type(e).__name__)
                report.failed.append(Failure(email, _("This email address cannot be used. "
                                                      "Check it is right.")))
                continue
            try:
                smtp.send_message(message)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError,
                    smtplib.SMTPSenderRefused, smtplib.SMTPNotSupportedError) as e:
                # smtplib has reset the conversation: the connection serves the next one.
                log.warning("mail.failed kind=%s error=%s", kind, _error_code(e))
                report.failed.append(Failure(email, _reason(e)))
            except (smtplib.SMTPException, OSError) as e:
                # The connection broke: this one failed; the next gets a new connection.
                log.warning("mail.failed kind=%s error=%s", kind, _error_code(e))
                report.failed.append(Failure(email, _reason(e)))
                _close(smtp)
                smtp = None
            else:
                report.sent.append(email)
    finally:
        _close(smtp)
    log.info("mail.batch kind=%s sent=%d failed=%d", kind, len(report.sent),
             len(report.failed))
    return report


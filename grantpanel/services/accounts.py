"""Accounts: password hashing (Argon2id), users, invitation links, session invalidation.

Rules kept here, each in one place:

- ``check_password`` does exactly one Argon2 verification per call, whether the email is
  known, known without a password, or unknown (the unknown case verifies against a dummy hash
  made once per hasher setting), so the time taken does not tell whether an account exists.
- ``account_tag`` is the only way an email appears in logs or rate-limit keys: a keyed hash
  (HMAC-SHA256 with ``SECRET_KEY``, first 16 hex digits) of the normalised email.
- ``redeem_invitation`` uses a link with one compare-and-set ``UPDATE ... WHERE used_at IS
  NULL``: when several browsers use the same link at once, exactly one gets in.
- ``change_password`` needs the current password when the user has one (unless the caller
  says this browser has just come in by invitation link), and ends every other session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import func, select, update

from grantpanel.extensions import db
from grantpanel.i18n import _, _l, ngettext
from grantpanel.models import Invitation, User, as_utc, utcnow
from grantpanel.services import audit
from grantpanel.vocabulary import Role

INVITATION_LIFETIME = dt.timedelta(days=30)
ROLES = Role.values()
MIN_PASSWORD_LENGTH = 10
ALREADY_USED = _l(
    "This invitation link has already been used. Sign in with your password, or ask the "
    "grants team for a new link."
)

def _password_too_short() -> str:
    return ngettext(
        "Choose a password of at least %(num)d character.",
        "Choose a password of at least %(num)d characters.",
        MIN_PASSWORD_LENGTH,
    )


class AccountError(ValueError):
    """A plain-English reason an account action could not be done."""


def _hasher() -> PasswordHasher:
    if current_app.config.get("PASSWORD_HASH_FAST"):
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()  # Argon2id, library defaults (RFC 9106 low-memory profile)


@cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    """A hash of a random password with these costs, made once per setting (not per call):
    verifying a password against it costs the same as verifying against a real hash."""
    ph = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return ph.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(user: User | None, password: str) -> bool:
    """True if ``password`` is right for ``user``.

    Always exactly one Argon2 verification: for an unknown email (``user`` None) or a user
    without a password the password is verified against a dummy hash of the same cost, and
    the answer is False.
    """
    ph = _hasher()
    stored = user.password_hash if user is not None else None
    target = stored or _dummy_hash(ph.time_cost, ph.memory_cost, ph.parallelism)
    try:
        ok = ph.verify(target, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return ok and stored is not None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def account_tag(email: str) -> str:
    """A keyed hash of the normalised email, for logs and rate-limit keys (never the email).

    Staff who know an email can compute its tag with the same ``SECRET_KEY`` to find its
    entries; someone who only reads the log cannot turn a tag back into an email.
    """
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    msg = b"account:" + normalise_email(email).encode("utf-8")
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:16]


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def create_user(
    *, email: str | None, name: str, role: str, password: str | None = None,
    actor: User | None = None, language: str | None = None,
) -> User:
    """Create a user (the caller commits). Raises AccountError with a plain reason.

    A panel member may have no email (``None`` or blank): they sign in by invitation link.
    ``language`` is the code of the language for their emails and letters, if known.
    """
    if role not in ROLES:
        raise AccountError(_("Role must be one of: %(roles)s.", roles=", ".join(ROLES)))
    email = normalise_email(email or "") or None
    if email is None and role != Role.PANEL:
        raise AccountError(_("Enter the person's email address: staff sign in with it."))
    if email is not None and "@" not in email:
        raise AccountError(
            _("Enter an email address in the right form, like name@example.org.")
        )
    if not name.strip():
        raise AccountError(_("Enter the person's name."))
    if email is not None and find_user_by_email(email) is not None:
        raise AccountError(_("Somebody already has an account with that email address."))
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_password_too_short())
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password) if password else None,
        session_nonce=secrets.token_hex(16),
        language=language or None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", actor=actor, user_id=user.id, role=role)
    return user


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_password_too_short())
    user.password_hash = hash_password(password)


def needs_current_password(user: User, *, came_by_invitation: bool) -> bool:
    """A user with a password must type it to change it, unless this browser has just been
    signed in by an invitation link (the link is then the proof, as a reset link would be)."""
    return user.password_hash is not None and not came_by_invitation


def change_password(
    user: User, new_password: str, *, current_password: str | None, came_by_invitation: bool
) -> None:
    """Set a new password and end every session of ``user`` (the caller signs the current
    browser back in, and commits). Raises AccountError with a plain reason."""
    if needs_current_password(user, came_by_invitation=came_by_invitation) and not (
        check_password(user, current_password or "")
    ):
        raise AccountError(
            _("Your current password is not right. Type the password you use to sign in now.")
        )
    set_password(user, new_password)
    end_sessions(user)
    audit.record("user.password_set", actor=user)


def end_sessions(user: User) -> None:
    """Invalidate every session of ``user`` on the server (sign-out, invitation use,
    password change): every session cookie names the old nonce, which no longer loads."""
    user.session_nonce = secrets.token_hex(16)


def load_user(session_id: str) -> User | None:
    """Flask-Login loader: ``"<id>:<nonce>"``; a stale nonce loads nobody."""
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isascii() or not user_id.isdigit() or not nonce:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not secrets.compare_digest(user.session_nonce, nonce):
        return None
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_invitation(user: User, *, round_id: int | None, actor: User | None) -> str:
    """Make a one-time sign-in token for ``user`` and return it (only its hash is stored)."""
    token = secrets.token_urlsafe(24)
    db.session.add(
        Invitation(
            user_id=user.id,
            round_id=round_id,
            token_hash=_token_hash(token),
            expires_at=utcnow() + INVITATION_LIFETIME,
        )
    )
    audit.record("invitation.created", actor=actor, round_id=round_id, user_id=user.id)
    return token


def redeem_invitation(token: str) -> User:
    """Use a one-time token: mark it used and return its user, or raise AccountError."""
    inv = db.session.scalar(select(Invitation).where(Invitation.token_hash == _token_hash(token)))
    if inv is None:
        raise AccountError(
            _(
                "This invitation link is not valid. Check you copied all of it, or ask the "
                "grants team for a new one."
            )
        )
    if inv.used_at is not None:
        raise AccountError(str(ALREADY_USED))
    now = utcnow()
    if as_utc(inv.expires_at) < now:
        raise AccountError(
            _("This invitation link has expired. Ask the grants team for a new one.")
        )
    # Compare-and-set: of several requests using the link at the same moment, exactly one
    # changes the row; the others see 0 rows changed (PostgreSQL re-checks the condition after
    # the winner commits; SQLite runs one writer at a time).
    won = db.session.execute(
        update(Invitation)
        .where(Invitation.id == inv.id, Invitation.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        raise AccountError(str(ALREADY_USED))
    audit.record("invitation.used", actor=inv.user, round_id=inv.round_id, user_id=inv.user_id)
    return inv.user

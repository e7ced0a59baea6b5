"""Accounts: password hashing (Argon2id), users, invitation links, session invalidation."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import func, select

from grantpanel.extensions import db
from grantpanel.models import Invitation, User, as_utc, utcnow
from grantpanel.services import audit

INVITATION_LIFETIME = dt.timedelta(days=30)
ROLES = ("staff", "panel")

# A hash of a random password: verifying against it costs the same time as a real check, so
# a sign-in for an unknown email takes as long as one for a known email.
_DUMMY_PASSWORD = secrets.token_hex(16)


class AccountError(ValueError):
    """A plain-English reason an account action could not be done."""


def _hasher() -> PasswordHasher:
    if current_app.config.get("PASSWORD_HASH_FAST"):
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()  # Argon2id, library defaults (RFC 9106 low-memory profile)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(user: User | None, password: str) -> bool:
    """True if ``password`` is right for ``user``; spends the same effort when user is None."""
    ph = _hasher()
    stored = user.password_hash if user is not None and user.password_hash else None
    try:
        if stored is None:
            ph.verify(ph.hash(_DUMMY_PASSWORD), password + "x")
            return False
        return ph.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def create_user(
    *, email: str, name: str, role: str, password: str | None = None, actor: User | None = None
) -> User:
    """Create a user (the caller commits). Raises AccountError with a plain reason."""
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}.")
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError("Enter an email address in the right form, like name@example.org.")
    if not name.strip():
        raise AccountError("Enter the person's name.")
    if find_user_by_email(email) is not None:
        raise AccountError("Somebody already has an account with that email address.")
    if password is not None and len(password) < 10:
        raise AccountError("Choose a password of at least 10 characters.")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password) if password else None,
        session_nonce=secrets.token_hex(16),
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", actor=actor, user_id=user.id, role=role)
    return user


def set_password(user: User, password: str) -> None:
    if len(password) < 10:
        raise AccountError("Choose a password of at least 10 characters.")
    user.password_hash = hash_password(password)


def end_sessions(user: User) -> None:
    """Invalidate every session of ``user`` on the server (used on sign-out)."""
    user.session_nonce = secrets.token_hex(16)


def load_user(session_id: str) -> User | None:
    """Flask-Login loader: ``"<id>:<nonce>"``; a stale nonce loads nobody."""
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit() or not nonce:
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
            "This invitation link is not valid. Check you copied all of it, or ask the grants "
            "team for a new one."
        )
    if inv.used_at is not None:
        raise AccountError(
            "This invitation link has already been used. Sign in with your password, or ask "
            "the grants team for a new link."
        )
    if as_utc(inv.expires_at) < utcnow():
        raise AccountError("This invitation link has expired. Ask the grants team for a new one.")
    inv.used_at = utcnow()
    audit.record("invitation.used", actor=inv.user, round_id=inv.round_id, user_id=inv.user_id)
    return inv.user

"""The one exception family of the voting library."""

from __future__ import annotations


class VotingError(ValueError):
    """Input that breaks a stated requirement. The message names the requirement."""


class VerificationError(VotingError):
    """A decision record whose outputs, commitment or digest do not match its inputs."""

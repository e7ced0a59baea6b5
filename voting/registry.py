"""Placeholder."""
from typing import Any

METHODS: dict[str, Any] = {}

"""Business rules for the workflow. Services change objects and return; they never commit.

The view or CLI command that owns the request commits once (and the 500 handler rolls back).
"""

"""Benchmarks for the voting library (``make bench`` runs :mod:`benchmarks.run`)."""

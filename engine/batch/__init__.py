"""Whole-archive batches: planning, per-item jobs with recipe sidecars, local worker processes or Ray."""

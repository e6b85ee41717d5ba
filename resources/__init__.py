"""Shipped data: models and their cards, colour-bin tables, sample photos, icons."""

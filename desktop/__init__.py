"""Tinta desktop package."""

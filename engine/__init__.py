"""Tinta engine package."""

"""Placeholder; replaced by the public views."""

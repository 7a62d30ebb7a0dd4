"""Reusable neural blocks shared by the generators."""

"""Tasklane: a self-hosted team task manager."""

__version__ = "0.1.0"

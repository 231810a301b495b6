"""Webhooks (issue 14, item 4): a workspace's events, signed, to other systems."""

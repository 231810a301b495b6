"""Notifications (issue 14): mentions, the inbox, preferences, e-mail."""

"""Calendar feeds: a private iCalendar address per user (issue 14, item 5)."""

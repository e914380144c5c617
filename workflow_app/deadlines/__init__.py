"""Deadlines in working days: the calendar's admin overrides, scheduled steps, the sweep."""

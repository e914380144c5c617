"""A user's deadlines as an iCalendar feed at a secret address, for the calendar on their phone."""

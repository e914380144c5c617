"""The app's notifications: the bell in the navigation and the page listing what happened to
the user's cases (the outbox rows addressed to them: notifications/inbox.py)."""

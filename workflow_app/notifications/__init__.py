"""Notifications: the transactional outbox, the emails, their delivery."""

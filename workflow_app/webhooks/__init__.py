"""Webhooks: an admin registers an endpoint and the event types it wants; each change event
(changes/) of those types is written, in the change's own transaction, as a delivery to every
matching active endpoint, then POSTed signed (Standard Webhooks) after the commit, retried with
backoff like the email outbox, ending `sent` or a visible `failed` an admin can send again."""

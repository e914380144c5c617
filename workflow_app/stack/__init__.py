"""`workflow-app stack`: the production topology of docker-compose.yml run natively, for a
developer, an evaluator or a system test: the migration, gunicorn, a Celery worker, Celery beat
and (unless MAIL_SERVER names a real one) a local SMTP server, supervised like compose's
`restart: unless-stopped`."""

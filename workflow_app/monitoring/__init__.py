"""Monitoring approved plans: quarterly progress reports, their evidence and their deadlines."""

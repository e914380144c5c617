"""The JSON API at /api/v1: plans, their history and transitions, tasks and progress reports,
for scripts and other systems. Authenticated by personal API tokens only (never the browser
session), and built on the same operations and access rules as the web views."""

"""The change feed: one row per change of a case (created, updated, transitioned), recorded by
a session hook whatever operation made the change, served in commit order to integrators
(GET /api/v1/changes) and to webhooks."""

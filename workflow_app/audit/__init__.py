"""The tamper-evident audit trail: each plan's history rows form a hash chain (chain.py); the
administrative acts on accounts, roles, delegations, tokens and the calendar form one more
(admin_log.py, admin_models.py); `workflow-app audit verify` walks every chain (verify.py,
admin_verify.py, links.py)."""

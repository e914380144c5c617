"""The tamper-evident audit trail: each plan's history rows form a hash chain (chain.py), and
`workflow-app audit verify` walks every chain (verify.py)."""

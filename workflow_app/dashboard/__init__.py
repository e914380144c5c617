"""The provincial dashboard at /dashboard: plans by state, overdue items, realisation, indicator
trajectories and funding, per district, as server-drawn charts with their numbers beside them."""

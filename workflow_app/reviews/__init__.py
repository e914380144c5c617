"""Reviewers' comments on a plan's items, and the snapshot taken at each submission with the
readable differences between two of them. Kept free of imports so plans.operations can hook in."""

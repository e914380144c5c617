"""Action plans: their contents, their workflow, their history."""

"""Users, their roles in regions, login and logout."""

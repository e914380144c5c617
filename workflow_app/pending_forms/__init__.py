"""Forms sent after the session or its CSRF token had ended: what the user typed is kept
(keep.py) and put back into the form once they are logged in again (restore.py)."""

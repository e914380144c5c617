"""Parallel sign-off on any kind of case: the participants' answers, their reminders and the
quorum that moves the case on (engine/sign_off.py declares it)."""

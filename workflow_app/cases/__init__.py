"""Kinds of case declared as data: a definition with a `case:` block (engine/case_spec.py)
gets its form, pages, lists, tasks and commands from here, with no Python of its own."""

"""Monitoring approved plans: quarterly progress reports, their evidence and their deadlines."""

# What monitoring needs the definitions to declare registers with the package, so whatever
# loads the definitions (the app, `workflows check`) checks it.
from . import requirements as requirements

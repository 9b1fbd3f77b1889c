"""The indicator modules; importing this package registers every indicator in the catalogue.

Modules are imported in reporting order (the catalogue keeps it).
"""
from . import cla, profile, care_leavers, local  # noqa: F401

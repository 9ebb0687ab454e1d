"""Propagation models (alias of :mod:`siteplan.radio.propagation`, where they live beside the link budget)."""

from .radio.propagation import *
from .radio.propagation import __all__  # noqa: F401

"""Seeded sample data for siteplan districts (see :mod:`siteplan.sample.general`)."""

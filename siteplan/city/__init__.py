"""A whole city in one command: every district's main job and the city-wide results on a Dask cluster.

:func:`run_city` is what ``siteplan run <city folder>`` calls (see :mod:`siteplan.city.run` for how the work is
cut); :mod:`~siteplan.city.borders` reconciles the districts' plans across their borders,
:mod:`~siteplan.city.raster` writes the city-wide coverage rasters, :mod:`~siteplan.city.lists` the city-wide
lists, :mod:`~siteplan.city.overview_map` the overview map and :mod:`~siteplan.city.summary` ``city_summary.json``.
Dask (``pip install 'siteplan[city]'``) is imported where used.
"""

from .borders import reconcile_district, removable_sites
from .run import CityRun, is_city_folder, run_city
from .summary import city_summary, summary_lines

__all__ = ["CityRun", "city_summary", "is_city_folder", "reconcile_district", "removable_sites", "run_city",
           "summary_lines"]

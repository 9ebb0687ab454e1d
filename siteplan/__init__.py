"""siteplan: plan 5G base-station sites in a Chinese city district.

Layers: a pure array core (``crs``, ``radio``, ``coverage``, ``optimize``, ``compliance`` rules) under thin
GeoDataFrame adapters, under IO (``io``), maps (``maps``), the bureau's review (``review``) and a thin CLI (``cli``).
"""

from ._version import __version__
from .config import DistrictConfig, load_config
from .crs import convert
from .errors import (
    ConfigError,
    CRSError,
    GeometryError,
    InfeasibleError,
    InputFileError,
    RadioConfigError,
    ReviewImportError,
    SchemaError,
    SiteplanError,
)
from .io import District, read_district

__all__ = [
    "CRSError",
    "ConfigError",
    "District",
    "DistrictConfig",
    "GeometryError",
    "InfeasibleError",
    "InputFileError",
    "RadioConfigError",
    "ReviewImportError",
    "SchemaError",
    "SiteplanError",
    "__version__",
    "convert",
    "load_config",
    "read_district",
]

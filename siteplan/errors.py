"""Typed errors. Each message names the file, the row or feature, the field and what was expected."""

from __future__ import annotations

__all__ = [
    "CRSError",
    "CityRunError",
    "ConfigError",
    "GeometryError",
    "InfeasibleError",
    "InputFileError",
    "OutputError",
    "RadioConfigError",
    "ReviewImportError",
    "SchemaError",
    "SiteplanError",
]


class SiteplanError(Exception):
    """Base of every error siteplan raises on purpose; the CLI prints it as one line, exit 2."""


class InputFileError(SiteplanError):
    """A file is missing, unreadable, not a local file, or of an unsupported format."""


class CityRunError(SiteplanError):
    """A city run could not finish: a district failed (its error is named) or a worker was lost. Finished
    districts keep their outputs; running the same command again resumes from them."""


class OutputError(SiteplanError):
    """An output folder cannot be written: another run holds it, or it holds files siteplan did not write."""


class ConfigError(SiteplanError):
    """``district.toml`` has an unknown key, a wrong type or a value that makes no sense."""


class SchemaError(SiteplanError):
    """A layer lacks a required column, or a value in a row is not what the field expects."""


class CRSError(SiteplanError):
    """A coordinate frame is unknown, or a layer's coordinates do not fit its declared frame."""


class GeometryError(SchemaError):
    """A feature's geometry is empty, invalid or of the wrong type."""


class RadioConfigError(ConfigError):
    """A radio setting (band, model, power, height) is unknown or outside the model's range."""


class InfeasibleError(SiteplanError):
    """An optimization problem has no feasible solution (e.g. the target cannot be reached)."""


class ReviewImportError(SiteplanError):
    """A filled review workbook failed validation; ``problems`` lists every one with its row."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])

"""The planning bureau's review: site registry, review workbook, decisions back, progress and the printable report.

- :func:`export_review` writes ``review_workbook.xlsx`` (and registers newly proposed sites);
- :func:`import_review` validates a filled workbook and applies it to the registry, all or nothing;
- :func:`progress_status` gives sites in service / approved / planned against each target;
- :func:`write_report` writes the printable ``review_report.html``.
"""

from .importer import ImportReport, import_review
from .progress import award_estimate, progress_status
from .registry import (
    STATES,
    TRANSITIONS,
    Registry,
    RegistryError,
    advance,
    open_registry,
    register_sites,
    registry_path,
)
from .workbook import export_review

__all__ = [
    "STATES",
    "TRANSITIONS",
    "ImportReport",
    "Registry",
    "RegistryError",
    "advance",
    "award_estimate",
    "export_review",
    "import_review",
    "open_registry",
    "progress_status",
    "register_sites",
    "registry_path",
    "write_report",
]


def __getattr__(name: str):
    # The report pulls in matplotlib; import it only when asked for.
    if name == "write_report":
        from .report import write_report

        return write_report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

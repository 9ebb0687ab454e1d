"""The site registry: one GeoPackage holding every proposed site's lifecycle and an append-only decision log.

The file is a GeoPackage made by GDAL (a ``sites`` point layer, readable in QGIS) plus attribute tables that this
module writes with the standard library's :mod:`sqlite3`:

- ``sites`` -- one row per site: current state, location (geometry in the registry's CRS, ``lon``/``lat`` in
  WGS 84), type, operator, sub-district, responsible unit, phase, and one date column per lifecycle state;
- ``decision_log`` -- every change ever made, in order (``seq``); triggers refuse UPDATE and DELETE on it, so
  history is never lost;
- ``imports`` -- the sha256 of every review workbook applied, so re-importing a file is a no-op;
- ``exports`` -- every review workbook handed out (its id and the protected values of each row), so an import
  can tell an edited protected cell or a workbook from another export;
- ``registry_meta`` -- schema version and district.

Every change happens in one ``BEGIN IMMEDIATE ... COMMIT`` transaction (:func:`transaction`); an error rolls it
all back. Dates come from the caller (the reviewer's date in the workbook), never from the wall clock, so the
registry's content is reproducible.

The file is a GeoPackage 1.2 (GDAL before 3.7, as in QGIS 3.22 LTR, warns about 1.4): the ``sites`` layer has
an R-tree spatial index, its date columns are ``DATE`` (NULL when not reached), and every attribute table has
an integer primary key, as the OGC standard asks. The R-tree's triggers call the GeoPackage SQL functions
``ST_MinX`` ... ``ST_IsEmpty``; GDAL and QGIS provide them, and :func:`_connect` registers them on the
standard library's connections. A registry of schema 1 (no index, text dates and keys) is upgraded in place
on first open, in one atomic step.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..crs import convert
from ..errors import SiteplanError

__all__ = [
    "DECIDED_STATES",
    "REVIEW_STATES",
    "SITE_COLUMNS",
    "STATES",
    "STATE_ZH",
    "TRANSITIONS",
    "Registry",
    "RegistryError",
    "advance",
    "advance_many",
    "current_state",
    "open_registry",
    "record_export",
    "register_sites",
    "registry_path",
    "transaction",
    "transition",
]

SCHEMA_VERSION = "2"

#: Lifecycle states, in order.
STATES = (
    "proposed",
    "under_review",
    "approved",
    "rejected",
    "approved_with_changes",
    "under_construction",
    "in_service",
)
STATE_ZH = {
    "proposed": "已提出",
    "under_review": "审查中",
    "approved": "通过",
    "rejected": "不通过",
    "approved_with_changes": "修改后通过",
    "under_construction": "建设中",
    "in_service": "已开通",
}
#: Legal transitions: from-state (None = not yet registered) -> allowed to-states.
TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"proposed"}),
    "proposed": frozenset({"under_review"}),
    "under_review": frozenset({"approved", "rejected", "approved_with_changes"}),
    "approved": frozenset({"under_construction"}),
    "approved_with_changes": frozenset({"under_construction"}),
    "rejected": frozenset(),
    "under_construction": frozenset({"in_service"}),
    "in_service": frozenset(),
}
DECIDED_STATES = frozenset({"approved", "rejected", "approved_with_changes"})
#: States in which a site belongs in the review workbook.
REVIEW_STATES = ("proposed", "under_review", "approved", "rejected", "approved_with_changes")
#: State -> the date column it stamps.
_DATE_COLUMN = {
    "proposed": "date_proposed",
    "under_review": "date_under_review",
    "approved": "date_decided",
    "rejected": "date_decided",
    "approved_with_changes": "date_decided",
    "under_construction": "date_under_construction",
    "in_service": "date_in_service",
}

#: Attribute columns of ``sites`` (besides fid and geometry), all text except lon/lat and new_build.
SITE_COLUMNS = (
    "site_id", "name", "state", "lon", "lat", "site_type", "mount", "operator", "network", "band", "subdistrict",
    "responsible_unit", "power_supply", "build_kind", "reuse_kind", "new_build", "phase",
    "decision", "comment", "date_proposed", "date_under_review", "date_decided",
    "date_under_construction", "date_in_service",
)
_REAL = ("lon", "lat")
_INT = ("new_build",)
#: Date columns of ``sites`` (GeoPackage DATE: ISO 8601 text, NULL until the state is reached).
_DATES = ("date_proposed", "date_under_review", "date_decided", "date_under_construction", "date_in_service")

_DDL = """
CREATE UNIQUE INDEX IF NOT EXISTS sites_site_id ON sites(site_id);
CREATE TABLE IF NOT EXISTS decision_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    decision TEXT NOT NULL DEFAULT '',
    who TEXT NOT NULL DEFAULT '',
    when_date TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    source_file TEXT NOT NULL DEFAULT '',
    source_sha256 TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS decision_log_no_update BEFORE UPDATE ON decision_log
BEGIN SELECT RAISE(ABORT, 'decision_log is append-only: history is never rewritten'); END;
CREATE TRIGGER IF NOT EXISTS decision_log_no_delete BEFORE DELETE ON decision_log
BEGIN SELECT RAISE(ABORT, 'decision_log is append-only: history is never deleted'); END;
CREATE TABLE IF NOT EXISTS imports (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256 TEXT NOT NULL UNIQUE,
    file_name TEXT NOT NULL,
    export_id TEXT NOT NULL,
    decisions INTEGER NOT NULL,
    changes INTEGER NOT NULL,
    applied TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS exports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    export_id TEXT NOT NULL UNIQUE,
    district TEXT NOT NULL,
    n_rows INTEGER NOT NULL,
    rows_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS registry_meta (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    value TEXT NOT NULL
);
"""
_ATTRIBUTE_TABLES = ("decision_log", "imports", "exports", "registry_meta")


class RegistryError(SiteplanError):
    """The registry file is not a siteplan registry, or a change breaks the lifecycle."""


def registry_path(district: Any) -> Path:
    """Where the district's registry lives: ``config.review.registry`` relative to the district folder."""
    p = Path(district.config.review.registry)
    return p if p.is_absolute() else Path(district.root) / p


# --- GeoPackage geometry blobs (GPKG spec 2.1.3): header + little-endian WKB --------------------------------

def _point_blob(x: float, y: float, srs_id: int) -> bytes:
    # "GP", version 0, flags 0b00000001 = little endian, no envelope, not empty.
    return b"GP\x00\x01" + struct.pack("<i", srs_id) + shapely.to_wkb(shapely.Point(x, y), byte_order=1,
                                                                       output_dimension=2)


def _blob_geometry(blob: bytes | None):
    if blob is None:
        return None
    flags = blob[3]
    env = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 0x07]
    return shapely.from_wkb(bytes(blob[8 + env:]))


# --- opening and creating ---------------------------------------------------------------------------------

def _envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    geom = _blob_geometry(blob)
    if geom is None or geom.is_empty:
        return None
    return tuple(float(v) for v in geom.bounds)  # minx, miny, maxx, maxy


def _gpkg_functions(conn: sqlite3.Connection) -> None:
    """The GeoPackage SQL functions the R-tree triggers call (GDAL and QGIS define the same)."""
    def part(i: int):
        def f(blob):
            env = _envelope(blob)
            return None if env is None else env[i]
        return f

    for name, i in (("ST_MinX", 0), ("ST_MinY", 1), ("ST_MaxX", 2), ("ST_MaxY", 3)):
        conn.create_function(name, 1, part(i), deterministic=True)
    conn.create_function("ST_IsEmpty", 1, lambda blob: None if blob is None else int(_envelope(blob) is None),
                         deterministic=True)


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    # isolation_level=None: no implicit transactions; we issue BEGIN IMMEDIATE/COMMIT/ROLLBACK ourselves.
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30.0)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        _gpkg_functions(conn)
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def transaction(path: str | Path) -> Iterator[sqlite3.Connection]:
    """One write transaction on the registry: ``BEGIN IMMEDIATE``, COMMIT on success, ROLLBACK on any error."""
    with _connect(Path(path)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _create(path: Path, crs: str, district_name: str, *, fill=None) -> None:
    """Create a registry file atomically; ``fill(conn)`` may copy content in before it takes its place."""
    import pyogrio.raw

    from ..io import atomic_path
    from ..io.writers import GPKG_FIXED_TIMESTAMP, GPKG_VERSION

    dtypes = {c: float if c in _REAL else ("int64" if c in _INT else ("datetime64[D]" if c in _DATES else object))
              for c in SITE_COLUMNS}
    with atomic_path(path) as tmp:
        # The raw writer keeps each column's type for an empty layer (DATE for the date columns).
        pyogrio.raw.write(tmp, np.array([], dtype=object), [np.array([], dtype=t) for t in dtypes.values()],
                          list(dtypes), driver="GPKG", layer="sites", geometry_type="Point", crs=crs,
                          layer_options={"SPATIAL_INDEX": "YES"}, dataset_options={"VERSION": GPKG_VERSION})
        with _connect(tmp) as conn:
            conn.execute("BEGIN IMMEDIATE")
            for stmt in _DDL.split(";\n"):
                if stmt.strip():
                    conn.execute(stmt)
            for t in _ATTRIBUTE_TABLES:
                conn.execute(
                    "INSERT OR IGNORE INTO gpkg_contents(table_name, data_type, identifier, description, last_change)"
                    " VALUES (?, 'attributes', ?, ?, ?)",
                    (t, t, f"siteplan registry: {t}", GPKG_FIXED_TIMESTAMP),
                )
            conn.execute("UPDATE gpkg_contents SET last_change=?", (GPKG_FIXED_TIMESTAMP,))
            conn.executemany("INSERT INTO registry_meta(key, value) VALUES (?, ?)",
                             [("schema_version", SCHEMA_VERSION), ("district", district_name), ("crs", crs)])
            if fill is not None:
                fill(conn)
            conn.execute("COMMIT")


def _upgrade_v1(path: Path) -> None:
    """Rewrite a schema-1 registry (no spatial index, text dates, text primary keys) as schema 2, keeping every
    site, log entry, import and export; the old file is replaced only once the new one is complete."""
    with _connect(path) as conn:
        meta = dict(conn.execute("SELECT key, value FROM registry_meta").fetchall())
        srs = conn.execute("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name='sites'").fetchone()[0]

    def fill(conn: sqlite3.Connection) -> None:
        conn.execute("ATTACH DATABASE ? AS old", (str(path),))
        # Columns schema 1 did not have (network, band) stay at their default ''.
        have = {r[1] for r in conn.execute("PRAGMA old.table_info(sites)")}
        keep = [c for c in ("geom", *SITE_COLUMNS) if c in have]
        cols = ", ".join(f'"{c}"' for c in keep)
        src = ", ".join(f"NULLIF(\"{c}\", '')" if c in _DATES else f'"{c}"' for c in keep)
        conn.execute(f"INSERT INTO sites({cols}) SELECT {src} FROM old.sites ORDER BY fid")
        for t in ("decision_log", "imports"):
            conn.execute(f"INSERT INTO {t} SELECT * FROM old.{t} ORDER BY seq")
        conn.execute("INSERT INTO exports(export_id, district, n_rows, rows_json) "
                     "SELECT export_id, district, n_rows, rows_json FROM old.exports ORDER BY export_id")
        conn.execute("INSERT OR REPLACE INTO registry_meta(key, value) SELECT key, value FROM old.registry_meta "
                     "WHERE key NOT IN ('schema_version')")
        _update_extent(conn, srs)

    _create(path, meta.get("crs") or f"EPSG:{srs}", meta.get("district", ""), fill=fill)


@dataclass(frozen=True)
class Registry:
    """A handle on a registry file; every read opens and closes its own connection."""

    path: Path

    @property
    def srs_id(self) -> int:
        with _connect(self.path) as conn:
            row = conn.execute("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name='sites'").fetchone()
        return int(row[0])

    def meta(self) -> dict[str, str]:
        with _connect(self.path) as conn:
            return dict(conn.execute("SELECT key, value FROM registry_meta").fetchall())

    def sites(self) -> pd.DataFrame:
        """All sites (attribute columns, sorted by site_id); ``new_build`` as bool."""
        with _connect(self.path) as conn:
            return _read_sites(conn)

    def sites_gdf(self, crs: str | None = None):
        """The sites as a GeoDataFrame in the registry's CRS (or ``crs``)."""
        import geopandas as gpd

        with _connect(self.path) as conn:
            df = _read_sites(conn)
            geoms = [_blob_geometry(b) for (b,) in conn.execute("SELECT geom FROM sites ORDER BY site_id")]
        gdf = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=f"EPSG:{self.srs_id}"))
        return gdf.to_crs(crs) if crs else gdf

    def log(self) -> pd.DataFrame:
        """The decision log in order."""
        with _connect(self.path) as conn:
            return pd.read_sql_query("SELECT * FROM decision_log ORDER BY seq", conn)

    def imports(self) -> pd.DataFrame:
        with _connect(self.path) as conn:
            return pd.read_sql_query("SELECT * FROM imports ORDER BY seq", conn)

    def export_rows(self, export_id: str) -> tuple[str, dict[str, dict[str, str]]] | None:
        """``(district, {site_id: {column: canonical value}})`` of a recorded export, or None."""
        with _connect(self.path) as conn:
            row = conn.execute("SELECT district, rows_json FROM exports WHERE export_id=?", (export_id,)).fetchone()
        return None if row is None else (row[0], json.loads(row[1]))

    def tables(self) -> dict[str, list[tuple]]:
        """Every table's full content (for before/after comparisons)."""
        with _connect(self.path) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
            return {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY 1').fetchall() for n in names}


def _read_sites(conn: sqlite3.Connection) -> pd.DataFrame:
    cols = ", ".join(f'"{c}"' for c in SITE_COLUMNS)
    df = pd.read_sql_query(f"SELECT {cols} FROM sites ORDER BY site_id", conn)
    for c in SITE_COLUMNS:
        if c in _REAL:
            df[c] = df[c].astype(float)
        elif c in _INT:
            df[c] = df[c].fillna(0).astype(int).astype(bool)
        else:
            df[c] = df[c].astype(object).where(df[c].notna(), "").astype(object)
    return df


def open_registry(where: Any, *, crs: str | None = None, district_name: str = "", create: bool = True) -> Registry:
    """Open (creating if needed) a registry.

    Parameters
    ----------
    where
        A :class:`siteplan.io.District` (uses :func:`registry_path`, its working CRS and name) or a file path.
    crs
        CRS of the ``sites`` geometry when creating (default: the district's working CRS).

    Raises
    ------
    RegistryError
        If the file exists but is not a siteplan registry, or is missing and ``create`` is False.
    """
    if hasattr(where, "config"):
        path = registry_path(where)
        crs = crs or where.crs
        district_name = district_name or where.config.district.name
    else:
        path = Path(where)
    if not path.exists():
        if not create:
            raise RegistryError(f"{path}: no site registry here (run `siteplan review export` first to create it)")
        _create(path, crs or "EPSG:4490", district_name)
    try:
        with _connect(path) as conn:
            ok = conn.execute("SELECT value FROM registry_meta WHERE key='schema_version'").fetchone()
    except sqlite3.DatabaseError as e:
        raise RegistryError(f"{path}: not a siteplan registry GeoPackage ({e})") from None
    if ok is not None and ok[0] == "1":
        _upgrade_v1(path)
        ok = (SCHEMA_VERSION,)
    if ok is None or ok[0] != SCHEMA_VERSION:
        raise RegistryError(f"{path}: registry schema version {ok and ok[0]!r}, expected {SCHEMA_VERSION!r}")
    reg = Registry(path)
    if district_name and reg.meta().get("district") not in ("", district_name):
        raise RegistryError(
            f"{path}: this registry belongs to district {reg.meta()['district']!r}, not {district_name!r}"
        )
    return reg


# --- changes (call inside transaction()) ------------------------------------------------------------------

def _append_log(conn: sqlite3.Connection, site_id: str, from_state: str | None, to_state: str, *, decision: str,
                who: str, when: str, comment: str, source_file: str, source_sha256: str) -> None:
    conn.execute(
        "INSERT INTO decision_log(site_id, from_state, to_state, decision, who, when_date, comment, source_file,"
        " source_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (site_id, from_state, to_state, decision, who, when, comment, source_file, source_sha256),
    )


def current_state(conn: sqlite3.Connection, site_id: str) -> str | None:
    row = conn.execute("SELECT state FROM sites WHERE site_id=?", (site_id,)).fetchone()
    return None if row is None else row[0]


def transition(conn: sqlite3.Connection, site_id: str, to_state: str, *, when: str, who: str = "",
               decision: str = "", comment: str = "", source_file: str = "", source_sha256: str = "") -> str:
    """Move one registered site to ``to_state``, stamp its date column and append the change to the log.

    Returns the state it came from. Raises :class:`RegistryError` on an unknown site or an illegal transition.
    """
    if to_state not in STATES:
        raise RegistryError(f"unknown state {to_state!r}; expected one of {', '.join(STATES)}")
    frm = current_state(conn, site_id)
    if frm is None:
        raise RegistryError(f"site {site_id!r} is not in the registry")
    if to_state not in TRANSITIONS[frm]:
        allowed = ", ".join(sorted(TRANSITIONS[frm])) or "none (final state)"
        raise RegistryError(
            f"site {site_id!r}: illegal transition {frm} -> {to_state}; from {frm} the next state may be: {allowed}"
        )
    sets = ["state=?", f"{_DATE_COLUMN[to_state]}=?"]
    vals: list[Any] = [to_state, when or None]
    if to_state in DECIDED_STATES:
        sets += ["decision=?", "comment=?"]
        vals += [decision, comment]
    conn.execute(f"UPDATE sites SET {', '.join(sets)} WHERE site_id=?", (*vals, site_id))
    _append_log(conn, site_id, frm, to_state, decision=decision, who=who, when=when, comment=comment,
                source_file=source_file, source_sha256=source_sha256)
    return frm


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    return str(v)


def register_sites(registry: Registry, sites: pd.DataFrame, *, source_file: str = "", source_sha256: str = "",
                   when: str = "", who: str = "siteplan") -> list[str]:
    """Register sites not yet in the registry as ``proposed``; return the new site ids.

    ``sites`` needs ``site_id``, ``lon``, ``lat`` [WGS 84 degrees] and may carry any other column of
    :data:`SITE_COLUMNS`. Sites already registered are left untouched except ``phase``, which is refreshed for
    sites still ``proposed``/``under_review`` when the given value is not empty (the rollout may re-plan them);
    such a refresh is logged too. One transaction for all.
    """
    srs = registry.srs_id
    new: list[str] = []
    ids = [str(s) for s in sites["site_id"]]
    if len(set(ids)) != len(ids):
        dup = sorted({s for s in ids if ids.count(s) > 1})
        raise RegistryError(f"register_sites: duplicate site_id {dup[0]!r}: ids must be unique")
    lon = sites["lon"].to_numpy(dtype=float)
    lat = sites["lat"].to_numpy(dtype=float)
    x, y = convert(lon, lat, "WGS84", f"EPSG:{srs}")
    x, y = np.atleast_1d(x), np.atleast_1d(y)
    with transaction(registry.path) as conn:
        for i, rec in enumerate(sites.to_dict("records")):
            sid = ids[i]
            state = current_state(conn, sid)
            if state is not None:
                phase = _text(rec.get("phase", ""))
                if phase and state in ("proposed", "under_review"):
                    old = conn.execute("SELECT phase FROM sites WHERE site_id=?", (sid,)).fetchone()[0] or ""
                    if old != phase:
                        conn.execute("UPDATE sites SET phase=? WHERE site_id=?", (phase, sid))
                        _append_log(conn, sid, state, state, decision="更新阶段 phase updated", who=who, when=when,
                                    comment=f"phase {old or '-'} -> {phase}", source_file=source_file,
                                    source_sha256=source_sha256)
                continue
            vals: dict[str, Any] = {c: _text(rec.get(c, "")) for c in SITE_COLUMNS if c not in _REAL + _INT}
            vals.update(site_id=sid, state="proposed", decision="", comment="")
            for c in _DATES:
                vals[c] = None
            vals["date_proposed"] = when or None
            cols = ["geom", *vals, "lon", "lat", "new_build"]
            args = [_point_blob(float(x[i]), float(y[i]), srs), *vals.values(), float(lon[i]), float(lat[i]),
                    int(bool(rec.get("new_build", True)))]
            conn.execute(f"INSERT INTO sites({', '.join(chr(34) + c + chr(34) for c in cols)}) "
                         f"VALUES ({', '.join('?' * len(cols))})", args)
            _append_log(conn, sid, None, "proposed", decision="登记 registered", who=who, when=when, comment="",
                        source_file=source_file, source_sha256=source_sha256)
            new.append(sid)
        if new:
            _update_extent(conn, srs)
    return new


def _update_extent(conn: sqlite3.Connection, srs: int) -> None:
    pts = [_blob_geometry(b) for (b,) in conn.execute("SELECT geom FROM sites")]
    xy = shapely.get_coordinates(np.asarray(pts, dtype=object))
    if len(xy):
        conn.execute("UPDATE gpkg_contents SET min_x=?, min_y=?, max_x=?, max_y=? WHERE table_name='sites'",
                     (float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max())))


def advance(registry: Registry, site_id: str, to_state: str, *, when: str, who: str, comment: str = "",
            source_file: str = "", source_sha256: str = "") -> str:
    """Record a construction-stage change (``under_construction``, ``in_service``) for one site, in one transaction.

    ``when`` is the date of the event (``YYYY-MM-DD``), not the time of recording. Returns the previous state.
    Decisions (approve/reject) go through the review workbook instead (:func:`siteplan.review.import_review`).
    """
    import datetime as _dt

    try:
        _dt.date.fromisoformat(when)
    except (TypeError, ValueError):
        raise RegistryError(f"site {site_id!r}: date {when!r}: expected YYYY-MM-DD") from None
    if to_state in DECIDED_STATES or to_state in ("proposed", "under_review"):
        raise RegistryError(f"site {site_id!r}: {to_state} is recorded by the review workbook, not by advance()")
    with transaction(registry.path) as conn:
        return transition(conn, site_id, to_state, when=when, who=who, decision=STATE_ZH[to_state],
                          comment=comment, source_file=source_file, source_sha256=source_sha256)


def advance_many(registry: Registry, site_ids: list[str], to_state: str, *, when: str, who: str,
                 comment: str = "") -> dict[str, str]:
    """:func:`advance` several sites in ONE transaction: all move, or (on any error) none does.

    Returns each site's previous state.
    """
    import datetime as _dt

    try:
        _dt.date.fromisoformat(when)
    except (TypeError, ValueError):
        raise RegistryError(f"date {when!r}: expected YYYY-MM-DD") from None
    if to_state not in ("under_construction", "in_service"):
        raise RegistryError(f"{to_state!r}: only under_construction and in_service are recorded this way; "
                            "decisions go through the review workbook")
    if len(set(site_ids)) != len(site_ids):
        raise RegistryError("a site id is given twice")
    previous = {}
    with transaction(registry.path) as conn:
        for sid in site_ids:
            previous[sid] = transition(conn, sid, to_state, when=when, who=who, decision=STATE_ZH[to_state],
                                       comment=comment, source_file="", source_sha256="")
    return previous


def record_export(conn: sqlite3.Connection, export_id: str, district: str, rows: dict[str, dict[str, str]]) -> None:
    """Remember an exported workbook's rows (idempotent: the id is a hash of the rows)."""
    conn.execute(
        "INSERT OR IGNORE INTO exports(export_id, district, n_rows, rows_json) VALUES (?, ?, ?, ?)",
        (export_id, district, len(rows), json.dumps(rows, ensure_ascii=False, sort_keys=True)),
    )

"""A synthetic street network and its poles (street lamps, monitoring poles, smart poles).

The network is one rotated grid of straight streets with irregular spacing (~220-300 m between lines, the size of a
Chinese urban block), each line with a level: every 2nd line is an arterial (~500 m), every 4th a ~1 km road and
every 8th a ~2 km country road. A segment of a line exists where the local urban character keeps that level
(:attr:`~siteplan.sample.character.Profile.street_level`): the core keeps every street, a rural county only the 2 km
roads. Urban cores get a few diagonal avenues.

Poles follow the streets (numbers are assumptions in line with Chinese municipal lighting practice): lamps every
30-40 m on both sides of arterials (8-12 m high), every 38-48 m on one side of local streets and 45-55 m on lit
country roads; about 7 % are 4-5 m garden lamps, too low for a micro site; 1-2 monitoring poles (6-8 m) near each
junction; a few lamps in the core replaced by smart poles (智慧杆, 10-15 m, 1 kW supply reserved for a base
station, as smart-pole standards ask).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from .character import CHARACTERS, PROFILES, CharacterMap

__all__ = ["HALF_WIDTH_M", "Streets", "make_poles", "make_streets"]

#: Half the road width from the centreline to the kerb line [m], by street class.
HALF_WIDTH_M = {"arterial": 18.0, "local": 8.0}
#: Building setback behind the kerb line [m].
SETBACK_M = {"arterial": 6.0, "local": 4.0, "none": 3.0}


@dataclass
class Streets:
    """The street grid in a frame rotated by ``theta`` about ``origin``: lines ``u = U[i]`` and ``v = V[j]``."""

    theta: float
    origin: tuple[float, float]
    U: np.ndarray
    V: np.ndarray
    u_level: np.ndarray
    v_level: np.ndarray
    #: Existence of segment j of line u=U[i] (between V[j] and V[j+1]): (len(U), len(V)-1) bool.
    u_seg: np.ndarray
    #: Existence of segment i of line v=V[j] (between U[i] and U[i+1]): (len(V), len(U)-1) bool.
    v_seg: np.ndarray
    diagonals: np.ndarray  # LineStrings [m]
    #: Character index at each diagonal's points is checked where used (core only).

    def to_xy(self, u, v) -> tuple[np.ndarray, np.ndarray]:
        c, s = np.cos(self.theta), np.sin(self.theta)
        u, v = np.asarray(u, float), np.asarray(v, float)
        return self.origin[0] + u * c - v * s, self.origin[1] + u * s + v * c

    def to_uv(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        c, s = np.cos(self.theta), np.sin(self.theta)
        dx, dy = np.asarray(x, float) - self.origin[0], np.asarray(y, float) - self.origin[1]
        return dx * c + dy * s, -dx * s + dy * c

    def segments(self) -> dict[str, np.ndarray]:
        """Every existing segment: endpoints (x0, y0, x1, y1), ``arterial`` flag."""
        ii, jj = np.nonzero(self.u_seg)
        a_x, a_y = self.to_xy(self.U[ii], self.V[jj])
        b_x, b_y = self.to_xy(self.U[ii], self.V[jj + 1])
        art_u = self.u_level[ii] <= 2
        jv, iv = np.nonzero(self.v_seg)
        c_x, c_y = self.to_xy(self.U[iv], self.V[jv])
        d_x, d_y = self.to_xy(self.U[iv + 1], self.V[jv])
        art_v = self.v_level[jv] <= 2
        return {
            "x0": np.concatenate([a_x, c_x]), "y0": np.concatenate([a_y, c_y]),
            "x1": np.concatenate([b_x, d_x]), "y1": np.concatenate([b_y, d_y]),
            "arterial": np.concatenate([art_u, art_v]),
        }

    def lines(self) -> np.ndarray:
        """Every existing segment and diagonal as LineStrings [m]."""
        s = self.segments()
        coords = np.stack([np.column_stack([s["x0"], s["y0"]]), np.column_stack([s["x1"], s["y1"]])], axis=1)
        return np.concatenate([shapely.linestrings(coords), self.diagonals])


def _levels(n: int, start: int) -> np.ndarray:
    i = np.arange(n) + start
    return np.select([i % 8 == 0, i % 4 == 0, i % 2 == 0], [0, 1, 2], 3).astype(np.int8)


def make_streets(
    rng: np.random.Generator,
    boundary,
    cmap: CharacterMap,
    *,
    theta_deg: float | None = None,
    spacing_m: tuple[float, float] = (220.0, 300.0),
    diagonals: int | None = None,
) -> Streets:
    """The street grid of a district (vectorized; a 2,700 km² district has ~100k segments).

    Parameters
    ----------
    theta_deg : float, optional
        Grid rotation [deg]; default random in [-25, 25].
    spacing_m : (float, float)
        Range of the distance between neighbouring street lines [m].
    diagonals : int, optional
        Diagonal avenues through the core; default one per 20 km² of core.
    """
    theta = np.deg2rad(rng.uniform(-25.0, 25.0) if theta_deg is None else theta_deg)
    x0, y0, x1, y1 = boundary.bounds
    origin = ((x0 + x1) / 2, (y0 + y1) / 2)
    half = np.hypot(x1 - x0, y1 - y0) / 2 + spacing_m[1]
    n = int(np.ceil(2 * half / spacing_m[0])) + 2

    def offsets() -> np.ndarray:
        o = np.cumsum(rng.uniform(*spacing_m, n))
        return o - o[n // 2]

    U, V = offsets(), offsets()
    u_level, v_level = _levels(len(U), int(rng.integers(0, 8))), _levels(len(V), int(rng.integers(0, 8)))
    st = Streets(theta, origin, U, V, u_level, v_level, np.zeros((len(U), len(V) - 1), bool),
                 np.zeros((len(V), len(U) - 1), bool), np.empty(0, dtype=object))
    keep_level = np.array([PROFILES[k].street_level for k in CHARACTERS], dtype=np.int8)
    near = shapely.buffer(boundary, 300.0)
    shapely.prepare(near)
    # u-lines: midpoints of each segment decide by the character there.
    uu, vv = np.meshgrid(U, (V[:-1] + V[1:]) / 2, indexing="ij")
    mx, my = st.to_xy(uu, vv)
    inside = shapely.contains_xy(near, mx, my)
    ch = cmap.character_at(mx, my)
    st.u_seg = inside & (u_level[:, None] <= keep_level[ch])
    uu, vv = np.meshgrid((U[:-1] + U[1:]) / 2, V, indexing="xy")
    mx, my = st.to_xy(uu, vv)  # shape (len(V), len(U)-1)
    inside = shapely.contains_xy(near, mx, my)
    ch = cmap.character_at(mx, my)
    st.v_seg = inside & (v_level[:, None] <= keep_level[ch])
    core_km2 = cmap.land_km2_by_character()["core"]
    nd = int(round(core_km2 / 20.0)) if diagonals is None else diagonals
    if nd and core_km2 > 0:
        core_cells = np.argwhere(cmap.character == 0)
        pick = core_cells[rng.choice(len(core_cells), nd)]
        px = cmap.x0 + (pick[:, 1] + rng.uniform(0.2, 0.8, nd)) * cmap.cell_m
        py = cmap.y0 + (pick[:, 0] + rng.uniform(0.2, 0.8, nd)) * cmap.cell_m
        ang = theta + np.deg2rad(np.where(rng.random(nd) < 0.5, 45.0, -45.0) + rng.uniform(-8, 8, nd))
        coords = np.stack([np.column_stack([px - np.cos(ang) * half, py - np.sin(ang) * half]),
                           np.column_stack([px + np.cos(ang) * half, py + np.sin(ang) * half])], axis=1)
        st.diagonals = shapely.intersection(shapely.linestrings(coords), near)
    return st


def _along(x0, y0, x1, y1, spacing, offset, phase=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points every ``spacing`` along segments from ``phase`` (default half a spacing), ``offset`` [m] to the left
    (negative: right); returns x, y and the segment index of each point."""
    length = np.hypot(x1 - x0, y1 - y0)
    phase = spacing / 2 if phase is None else phase
    n = np.maximum(np.floor((length - phase) / spacing).astype(np.int64) + 1, 0)
    seg = np.repeat(np.arange(len(length)), n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    L = np.maximum(length[seg], 1e-9)
    t = (phase[seg] + k * spacing[seg]) / L
    dx, dy = (x1 - x0)[seg], (y1 - y0)[seg]
    off = offset[seg]
    return x0[seg] + t * dx - dy / L * off, y0[seg] + t * dy + dx / L * off, seg


def make_poles(
    rng: np.random.Generator,
    streets: Streets,
    boundary,
    cmap: CharacterMap,
    *,
    lamp_owner: str = "区城管委",
    monitoring_owner: str = "公安分局",
    smart_owner: str = "中国铁塔",
    smart_share: float = 0.007,
) -> pd.DataFrame:
    """Street lamps, monitoring poles and smart poles along the streets.

    Returns
    -------
    DataFrame
        ``pole_id, kind, height_m, owner, power_w, x, y`` (``kind`` street_lamp / monitoring / other), in id order.
    """
    s = streets.segments()
    art = s["arterial"]
    nseg = len(art)
    mid_x, mid_y = (s["x0"] + s["x1"]) / 2, (s["y0"] + s["y1"]) / 2
    ch = cmap.character_at(mid_x, mid_y)
    lit = rng.random(nseg) < np.array([PROFILES[k].lamp_share for k in CHARACTERS])[ch]
    rural = ch == CHARACTERS.index("rural")
    spacing = np.where(art, rng.uniform(30.0, 40.0, nseg), rng.uniform(38.0, 48.0, nseg))
    spacing = np.where(rural, rng.uniform(45.0, 55.0, nseg), spacing)
    side = np.where(rng.random(nseg) < 0.5, 1.0, -1.0)
    xs, ys, arts = [], [], []
    # Arterials: both sides, staggered by half the spacing; other streets: one side.
    for which, sp, off, phase in (
        (lit & art, spacing * 2, side * rng.uniform(12.0, 16.0, nseg), spacing / 2),
        (lit & art, spacing * 2, -side * rng.uniform(12.0, 16.0, nseg), spacing * 1.5),
        (lit & ~art, spacing, side * rng.uniform(6.0, 8.0, nseg), spacing / 2),
    ):
        idx = np.flatnonzero(which)
        x, y, seg = _along(s["x0"][idx], s["y0"][idx], s["x1"][idx], s["y1"][idx], sp[idx], off[idx], phase[idx])
        xs.append(x)
        ys.append(y)
        arts.append(art[idx][seg])
    # Diagonals through the core: lamps on both sides.
    diag = [d for d in streets.diagonals if not d.is_empty]
    if diag:
        parts = shapely.get_parts(np.asarray(diag, dtype=object))
        parts = parts[shapely.get_type_id(parts) == 1]
        c0 = shapely.get_coordinates(shapely.get_point(parts, 0))
        c1 = shapely.get_coordinates(shapely.get_point(parts, -1))
        for sgn in (1.0, -1.0):
            sp = rng.uniform(60.0, 80.0, len(parts))
            x, y, _ = _along(c0[:, 0], c0[:, 1], c1[:, 0], c1[:, 1], sp, sgn * rng.uniform(12.0, 16.0, len(parts)))
            core = cmap.character_at(x, y) == 0
            xs.append(x[core])
            ys.append(y[core])
            arts.append(np.ones(core.sum(), bool))
    lx, ly, lart = np.concatenate(xs), np.concatenate(ys), np.concatenate(arts)
    nl = len(lx)
    lamp_h = np.where(lart, rng.choice([10.0, 11.0, 12.0], nl), rng.choice([8.0, 9.0, 10.0], nl))
    low = rng.random(nl) < 0.07  # garden-style lamps, too low to carry a micro site
    lamp_h[low] = rng.choice([4.0, 4.5, 5.0], low.sum())
    lamp_pw = rng.choice([150.0, 200.0, 250.0, 400.0, np.nan], nl, p=[0.3, 0.3, 0.2, 0.1, 0.1])
    kind = np.full(nl, "street_lamp", dtype=object)
    owner = np.full(nl, lamp_owner, dtype=object)
    # Smart poles replace a few tall core arterial lamps (多杆合一 pilots).
    smart = lart & ~low & (cmap.character_at(lx, ly) == 0) & (rng.random(nl) < smart_share * 3)
    kind[smart], owner[smart] = "other", smart_owner
    lamp_h[smart] = rng.choice([10.0, 12.0, 15.0], smart.sum())
    lamp_pw[smart] = 1000.0

    # Monitoring poles: 1-2 near each junction of existing streets, 15-30 m along one street, on its sidewalk.
    U, V = streets.U, streets.V
    ju = np.zeros((len(U), len(V)), bool)
    ju[:, :-1] |= streets.u_seg
    ju[:, 1:] |= streets.u_seg
    jv = np.zeros((len(U), len(V)), bool)
    jv[:-1, :] |= streets.v_seg.T
    jv[1:, :] |= streets.v_seg.T
    ii, jj = np.nonzero(ju & jv)
    nj = len(ii)
    two = rng.random(nj) < 0.45
    ii, jj = np.concatenate([ii, ii[two]]), np.concatenate([jj, jj[two]])
    m = len(ii)
    along_u = rng.random(m) < 0.5  # walk along the v-line (u varies) or the u-line (v varies)
    lvl = np.where(along_u, streets.v_level[jj], streets.u_level[ii])
    off = np.where(lvl <= 2, rng.uniform(12.0, 16.0, m), rng.uniform(6.0, 8.0, m)) * np.where(
        rng.random(m) < 0.5, 1.0, -1.0)
    step = rng.uniform(15.0, 30.0, m) * np.where(rng.random(m) < 0.5, 1.0, -1.0)
    mu = U[ii] + np.where(along_u, step, off)
    mv = V[jj] + np.where(along_u, off, step)
    mx, my = streets.to_xy(mu, mv)
    nm = m
    mon_h = rng.choice([6.0, 6.5, 7.0, 7.5, 8.0], nm)
    mon_pw = rng.choice([100.0, 200.0, np.nan], nm, p=[0.4, 0.3, 0.3])

    df = pd.DataFrame({
        "kind": np.concatenate([kind, np.full(nm, "monitoring", dtype=object)]),
        "height_m": np.concatenate([lamp_h, mon_h]),
        "owner": np.concatenate([owner, np.full(nm, monitoring_owner, dtype=object)]),
        "power_w": np.concatenate([lamp_pw, mon_pw]),
        "x": np.concatenate([lx, mx]),
        "y": np.concatenate([ly, my]),
    })
    inner = shapely.buffer(boundary, -3.0)
    shapely.prepare(inner)
    df = df[shapely.contains_xy(inner, df.x.to_numpy(), df.y.to_numpy())]
    order = pd.Categorical(df.kind, ["street_lamp", "monitoring", "other"], ordered=True)
    df = df.assign(_k=order).sort_values("_k", kind="stable").drop(columns="_k").reset_index(drop=True)
    prefix = df["kind"].map({"street_lamp": "LD-", "monitoring": "JK-", "other": "ZH-"})
    num = df.groupby("kind").cumcount() + 1
    df.insert(0, "pole_id", prefix + num.map("{:06d}".format))
    return df

"""TDD slot patterns: the time share of the uplink and the downlink (TS 38.213 §11.1 slot formats).

A pattern is a string of slots, ``D`` (downlink), ``U`` (uplink) and ``S`` (special: DL symbols, guard period,
UL symbols, 14 symbols in all with the normal cyclic prefix). The share of a link is the fraction of the
pattern's symbols it may carry data in.

Special slots: their DL symbols carry PDSCH, so they count for the downlink by default. Their few UL symbols
(2 in the 10:2:2 format) usually carry SRS/PUCCH rather than PUSCH, so they do **not** count for the uplink by
default (``special_ul_for_data=False``); set it for a 6:4:4 slot whose 4 UL symbols are scheduled for PUSCH.

Chinese operators' patterns at 30 kHz SCS (as widely published by the operators and vendors; check against
the network's own parameters), :data:`TDD_PATTERNS`:

============================  ==============  =======  ===========  ==================================
key                           pattern         S slot   UL share     used by
============================  ==============  =======  ===========  ==================================
``cm_n41_5ms_single``         DDDDDDDSUU      6:4:4    20.0 %       China Mobile n41 (2.6 GHz), 5 ms
``ct_cu_n78_2p5ms_double``    DDDSUDDSUU      10:2:2   30.0 %       China Telecom/Unicom n78 (3.5 GHz)
``dddsu_2p5ms``               DDDSU           10:2:2   20.0 %       a common 2.5 ms single period
============================  ==============  =======  ===========  ==================================

(With the special slots' UL symbols counted: 22.9 % and 32.9 %.)

Examples
--------
>>> uplink_share("DDDSUDDSUU")
0.3
>>> round(downlink_share("DDDSUDDSUU", special_slot_symbols=(10, 2, 2)), 4)
0.6429
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import RadioConfigError

__all__ = ["TDD_PATTERNS", "TddPattern", "downlink_share", "get_tdd_pattern", "uplink_share"]

_SYMBOLS_PER_SLOT = 14


@dataclass(frozen=True)
class TddPattern:
    """A TDD slot pattern with its special-slot format (DL, guard, UL symbols)."""

    slots: str
    special_slot_symbols: tuple[int, int, int] = (10, 2, 2)


#: Named patterns of Chinese 5G networks (see the module notes for their sources).
TDD_PATTERNS: dict[str, TddPattern] = {
    "cm_n41_5ms_single": TddPattern("DDDDDDDSUU", (6, 4, 4)),
    "ct_cu_n78_2p5ms_double": TddPattern("DDDSUDDSUU", (10, 2, 2)),
    "dddsu_2p5ms": TddPattern("DDDSU", (10, 2, 2)),
}


def get_tdd_pattern(name: str) -> TddPattern:
    """A named pattern of :data:`TDD_PATTERNS`; raises :class:`RadioConfigError` naming an unknown one."""
    if name not in TDD_PATTERNS:
        raise RadioConfigError(f"tdd pattern {name!r}: unknown; expected one of: {', '.join(TDD_PATTERNS)}")
    return TDD_PATTERNS[name]


def _counts(slots: str, special_slot_symbols) -> tuple[int, int, int, tuple[int, int, int]]:
    s = str(slots).strip().upper()
    if not s or set(s) - set("DSU"):
        raise RadioConfigError(f"tdd pattern {slots!r}: expected a string of D, S and U slots (e.g. 'DDDSU')")
    sym = tuple(int(x) for x in special_slot_symbols)
    if len(sym) != 3 or min(sym) < 0 or sum(sym) != _SYMBOLS_PER_SLOT:
        raise RadioConfigError(
            f"special slot format {special_slot_symbols!r}: expected (DL, guard, UL) symbols summing to 14"
        )
    return s.count("D"), s.count("S"), s.count("U"), sym  # type: ignore[return-value]


def uplink_share(slots: str, special_slot_symbols=(10, 2, 2), *, special_ul_for_data: bool = False) -> float:
    """Share of time the uplink can carry PUSCH data [-].

    Parameters
    ----------
    slots : str
        Slot pattern, e.g. ``"DDDSUDDSUU"``.
    special_slot_symbols : (int, int, int)
        Special slot (DL, guard, UL) symbols; they sum to 14.
    special_ul_for_data : bool
        Count the special slots' UL symbols as PUSCH capacity.
    """
    d, s, u, sym = _counts(slots, special_slot_symbols)
    extra = s * sym[2] / _SYMBOLS_PER_SLOT if special_ul_for_data else 0.0
    return (u + extra) / (d + s + u)


def downlink_share(slots: str, special_slot_symbols=(10, 2, 2), *, special_dl_for_data: bool = True) -> float:
    """Share of time the downlink can carry PDSCH data [-]; special-slot DL symbols count by default."""
    d, s, u, sym = _counts(slots, special_slot_symbols)
    extra = s * sym[0] / _SYMBOLS_PER_SLOT if special_dl_for_data else 0.0
    return (d + extra) / (d + s + u)

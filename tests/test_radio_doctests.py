"""The examples in the new radio modules' docstrings run and hold."""

import doctest

import pytest

from siteplan.radio import (
    antenna_files,
    capacity,
    dimensioning,
    margins,
    penetration,
    presets,
    spectral,
    tdd,
    uplink,
)


@pytest.mark.parametrize(
    "module", [antenna_files, capacity, dimensioning, margins, penetration, presets, spectral, tdd, uplink],
    ids=lambda m: m.__name__.rsplit(".", 1)[-1],
)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0

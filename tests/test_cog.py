"""The windowed COG writer: a valid cloud-optimized GeoTIFF, equal to the in-memory raster, written atomically."""

import json
import shutil
import subprocess
import tracemalloc

import numpy as np
import pytest
import rasterio
from affine import Affine

from siteplan.io.cog import CogWriter, validate_cog, write_cog
from siteplan.io.raster import NODATA, write_geotiff

T = Affine(20.0, 0.0, 520_000.0, 0.0, -20.0, 4_332_000.0)
CRS = "EPSG:4548"


def _reference(h=700, w=900, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(-100.0, 12.0, (2, h, w)).astype(np.float32)
    a[:, :40, :90] = np.nan  # outside the district
    return a


def _windows(h, w, size, seed=0):
    """Tile-like windows in a shuffled order (as Dask completes them)."""
    out = [(r, c) for r in range(0, h, size) for c in range(0, w, size)]
    np.random.default_rng(seed).shuffle(out)
    return out


def test_windows_in_any_order_give_the_in_memory_raster(tmp_path):
    ref = _reference()
    h, w = ref.shape[1:]
    path = tmp_path / "coverage.tif"
    tags = {"scenario": "test", "radio": {"band": "n78", "max_reach_m": 1000.0}}
    with CogWriter(path, width=w, height=h, band_names=["outdoor_rsrp_dbm", "sinr_db"], transform=T, crs=CRS,
                   tags=tags, band_tags={"sinr_db": {"units": "dB"}}, blocksize=256) as cog:
        for r, c in _windows(h, w, 96):
            cog.write(r, c, {"outdoor_rsrp_dbm": ref[0, r : r + 96, c : c + 96], "sinr_db": ref[1, r : r + 96, c : c + 96]})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coverage.tif"]  # no staging file left
    with rasterio.open(path) as src:
        assert src.descriptions == ("outdoor_rsrp_dbm", "sinr_db")
        assert src.crs.to_epsg() == 4548 and src.transform == T and src.nodata == NODATA
        assert src.dtypes == ("float32", "float32")
        assert json.loads(src.tags()["radio"]) == tags["radio"] and src.tags()["scenario"] == "test"
        assert src.tags(2)["units"] == "dB"
        got = src.read()
    np.testing.assert_array_equal(got, np.where(np.isnan(ref), np.float32(NODATA), ref))
    assert validate_cog(path) == []


def test_it_is_tiled_compressed_with_overviews(tmp_path):
    path = write_cog(tmp_path / "c.tif", {"rsrp": _reference()[0]}, transform=T, crs=CRS, blocksize=256,
                     compress="zstd", window_rows=100)
    with rasterio.open(path) as src:
        assert src.profile["tiled"] and src.block_shapes[0] == (256, 256)
        assert src.compression.name == "zstd"
        assert src.overviews(1) == [2, 4]
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"


def test_cells_never_written_are_nodata_and_the_writer_matches_write_geotiff(tmp_path):
    ref = _reference(300, 400)
    with CogWriter(tmp_path / "c.tif", width=400, height=300, band_names=["a", "b"], transform=T, crs=CRS) as cog:
        cog.write(0, 0, {"a": ref[0, :100, :400]})  # band b never written, band a only its top
    plain = write_geotiff(tmp_path / "g.tif", {"a": ref[0], "b": ref[1]}, transform=T, crs=CRS)
    with rasterio.open(tmp_path / "c.tif") as src, rasterio.open(plain) as g:
        got, expect = src.read(), g.read()
    np.testing.assert_array_equal(got[0, :100], expect[0, :100])
    assert (got[0, 100:] == NODATA).all() and (got[1] == NODATA).all()


def test_python_memory_stays_far_below_the_raster(tmp_path):
    h = w = 2048  # 16 MiB per band
    tile = np.full((256, 256), -90.0, dtype=np.float32)
    tracemalloc.start()
    with CogWriter(tmp_path / "big.tif", width=w, height=h, band_names=["a"], transform=T, crs=CRS,
                   cache_mb=8) as cog:
        for r, c in _windows(h, w, 256):
            cog.write(r, c, {"a": tile})
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2 * 2**20
    assert validate_cog(tmp_path / "big.tif") == []


def test_a_failed_write_leaves_the_target_as_it_was(tmp_path):
    path = tmp_path / "c.tif"
    path.write_bytes(b"earlier output")
    with pytest.raises(ValueError, match="outside the 100x100 raster"):
        with CogWriter(path, width=100, height=100, band_names=["a"], transform=T, crs=CRS) as cog:
            cog.write(0, 0, {"a": np.zeros((10, 10))})
            cog.write(95, 0, {"a": np.zeros((10, 10))})
    assert path.read_bytes() == b"earlier output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.tif"]
    with pytest.raises(KeyError, match="unknown band 'b'"):
        with CogWriter(path, width=100, height=100, band_names=["a"], transform=T, crs=CRS) as cog:
            cog.write(0, 0, {"b": np.zeros((10, 10))})
    with pytest.raises(ValueError, match="invalid compress 'jpeg'"):
        CogWriter(path, width=1, height=1, band_names=["a"], transform=T, crs=CRS, compress="jpeg")


def test_validate_cog_names_what_a_plain_geotiff_lacks(tmp_path):
    path = tmp_path / "plain.tif"
    with rasterio.open(path, "w", driver="GTiff", width=600, height=600, count=1, dtype="float32", crs=CRS,
                       transform=T) as dst:
        dst.write(np.zeros((1, 600, 600), dtype=np.float32))
    assert validate_cog(path) == ["NOT_TILED", "NOT_COMPRESSED", "NO_OVERVIEWS", "NOT_COG_LAYOUT"]


@pytest.mark.skipif(shutil.which("gdalinfo") is None, reason="gdalinfo not installed (Debian: gdal-bin)")
def test_gdalinfo_sees_a_cog(tmp_path):
    path = write_cog(tmp_path / "c.tif", {"rsrp": _reference()[0]}, transform=T, crs=CRS, blocksize=256)
    info = subprocess.run(["gdalinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "LAYOUT=COG" in info and "COMPRESSION=DEFLATE" in info
    assert "Block=256x256" in info and "Overviews: 450x350, 225x175" in info and "Description = rsrp" in info


def test_gdals_own_cog_validator_accepts_it(tmp_path):
    validator = "osgeo_utils.samples.validate_cloud_optimized_geotiff"
    # GDAL's Python bindings come with the system's GDAL, not with rasterio: look beside it first.
    pythons = [p for p in ("/usr/bin/python3", shutil.which("python3")) if p]
    python = next((p for p in pythons if subprocess.run([p, "-c", f"import {validator}"], capture_output=True)
                   .returncode == 0), None)
    if python is None:
        pytest.skip("GDAL's Python utilities are not installed (Debian: python3-gdal)")
    path = write_cog(tmp_path / "c.tif", {"a": _reference()[0], "b": _reference()[1]}, transform=T, crs=CRS,
                     blocksize=256)
    res = subprocess.run([python, "-m", validator, str(path)], capture_output=True, text=True)
    assert res.returncode == 0 and "is a valid cloud optimized GeoTIFF" in res.stdout, res.stdout + res.stderr

#!/usr/bin/env bash
# Install the clients the output tests open siteplan's files with, as a planner's machine would:
#   chromium        headless browser: the map, and print-to-PDF of the review report
#   fonts-noto-cjk  Chinese in the map and the printed report
#   poppler-utils   pdfinfo/pdftotext/pdftoppm, to read the PDFs back and render their first page
#   gdal-bin        ogrinfo/gdalinfo (+ python3-gdal: GDAL's GeoPackage validator) on the GeoPackages, GeoJSON, GeoTIFF
#   libreoffice-calc  prints the XLSX workbooks to PDF (Excel/WPS stand-in)
# Measured on the 2-core workplace machine (Debian 12): gdal-bin ~20 s, libreoffice-calc ~35 s (55 packages).
# Idempotent: installs only what is missing. Needs root (CI runs as root) or sudo.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
[ -f /usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py ] || need+=(python3-gdal)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc)

if [ "${#need[@]}" -eq 0 ]; then
  echo "install-browser: chromium, fonts-noto-cjk, poppler-utils, gdal-bin and libreoffice-calc already installed ($(chromium --version 2>/dev/null || echo '?'))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "install-browser: installed ${need[*]} in $(( $(date +%s) - start )) s ($(chromium --version 2>/dev/null || echo '?'))"

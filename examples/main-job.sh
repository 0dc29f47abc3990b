#!/usr/bin/env sh
# The main job on the shared real data: ingest -> detect -> imagery -> claims -> assess -> report.
#
#   sh examples/main-job.sh [REPORT_DIR]      (run from the repository root)
#
# Reads ../shared/data (or $HARBORWATCH_DATA), writes the store to ./harborwatch-store (or
# $HARBORWATCH_STORE) and one self-contained HTML report per site to REPORT_DIR (default
# ./reports). Re-running adds nothing to the store and rewrites the reports.
#
# What is real here, and where: AIS of the DMA logs, seven Santa Barbara days (June 2018; Port
# Hueneme is a US Navy base), the Suez/Port Said export (March 2021) and two DEBS 2018 samples;
# the RapidEye clip of a San Francisco Bay anchorage (8 March 2017) with ships found by the
# model-free optical detector. The Syrian-Express claims are checked too: the shared data holds no
# AIS of those ships, so their verdicts are honest "no data".
set -eu

DATA=${HARBORWATCH_DATA:-../shared/data}
REPORTS=${1:-reports}
export HARBORWATCH_STORE="${HARBORWATCH_STORE:-harborwatch-store}"
STORY_SITES=examples/sites/eastern-med.toml
DATA_SITES=examples/sites/shared-data.toml
WATCHLIST=examples/watchlists/syrian-express.toml

harborwatch ingest "$DATA/ais/dma" "$DATA/ais/sbarc-santa-barbara" \
    "$DATA/ais/eastern-med/suez_2021_boat_positions.csv" \
    "$DATA/ais/debs2018/1000rowspublic_fixed.csv" "$DATA/ais/debs2018/vessel24hpublic_fixed.csv"
harborwatch detect --geo-dir "$DATA/geo" --sites "$STORY_SITES" --watchlist "$WATCHLIST"

harborwatch scene add "$DATA/imagery/planet-rapideye-sfbay-ships/1056417_2017-03-08_RE3_3A_Visual_clip.tif" \
    --site sf-bay-anchorage --date 2017-03-08 --sensor "RapidEye RE3 3A visual, 5 m" \
    --note "Planet RapidEye clip shipped in planetlabs/notebooks (Apache-2.0 tutorial data)"
harborwatch imagery detect --site sf-bay-anchorage --detector optical_ships

harborwatch claims check examples/claims/tartus-2024-2025.yaml --sites "$STORY_SITES" \
    --watchlist "$WATCHLIST"

mkdir -p "$REPORTS"
for site in port-said port-hueneme sf-bay-anchorage; do
    case $site in port-said) sites=$STORY_SITES ;; *) sites=$DATA_SITES ;; esac
    harborwatch assess --site "$site" --sites "$sites"
    harborwatch report --site "$site" --sites "$sites" --watchlist "$WATCHLIST" \
        --geo-dir "$DATA/geo" --out "$REPORTS/$site.html"
done
harborwatch stats
echo "reports: $REPORTS/port-said.html $REPORTS/port-hueneme.html $REPORTS/sf-bay-anchorage.html"

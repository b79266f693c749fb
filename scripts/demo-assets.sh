#!/usr/bin/env bash
# Makes the web app's offline-demo assets in public/demo/ with the CLI: the built-in classroom's
# answer log and a DKT pack trained on it (seeded, so the same bytes every run on the same build).
set -euo pipefail
cd "$(dirname "$0")/.."
CL=./target/release/classlens
T=runs/demo-assets
rm -rf "$T"
$CL demo --out "$T" --epochs 10 > /dev/null 2>&1
mkdir -p public/demo
$CL export "$T/dkt" --out public/demo/dkt.pack --quantize int8
cp "$T/classroom/skill_builder_data.csv" public/demo/

#!/usr/bin/env bash
# The project's test command (README): every test target, then the CI seed sets of the simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
export CREDITCHAIN_PYTHON="${CREDITCHAIN_PYTHON:-$PWD/.venv/bin/python}"
swift test -Xswiftc -warnings-as-errors

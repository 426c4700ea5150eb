#!/usr/bin/env bash
# ThreadSanitizer over the tests of the concurrent modules (transport, storage, API, node shell):
# a separate instrumented build in .build-tsan, then those suites; any report fails the run.
# Multi-process and simulator suites are left out (their cost is in child processes or pure code).
# Known false positives of the Swift concurrency runtime are suppressed in tsan-suppressions.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests --sanitize=thread --scratch-path .build-tsan
TSAN_OPTIONS="suppressions=$PWD/scripts/tsan-suppressions.txt" swift test --skip-build --sanitize=thread \
  --scratch-path .build-tsan --filter "TransportTests|StorageTests|APITests|NodeTests" \
  --skip "MultiProcessTests|SimulationReplayTests"

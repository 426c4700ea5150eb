#!/usr/bin/env bash
# Fails when a pure module (ChainCore, Ledger, Consensus, CreditRules) imports an I/O framework or
# reads the clock, the file system, Dispatch or an un-injected random generator.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for m in ChainCore Ledger Consensus CreditRules; do
  d="Sources/$m"
  [ -d "$d" ] || continue
  hits=$(
    {
      grep -rnE '^\s*(@testable\s+)?import\s+(NIO[A-Za-z]*|GRDB|PostgresNIO|Hummingbird[A-Za-z]*|Dispatch|Glibc|Darwin|Logging|Metrics|ServiceLifecycle)\b' "$d" || true
      grep -rnE 'Date\(\)|Date\.now|FileManager|DispatchQueue|DispatchSemaphore|SystemRandomNumberGenerator|ProcessInfo|FileHandle|URLSession|arc4random|getenv\(' "$d" || true
      grep -rnE '\.(random|randomElement|shuffled|shuffle)\(' "$d" | grep -v 'using:' || true
    } | sort -u
  )
  if [ -n "$hits" ]; then
    echo "purity: $m must do no I/O and read no clock or un-injected randomness:"
    echo "$hits"
    status=1
  fi
done
[ $status -eq 0 ] && echo "purity: ChainCore, Ledger, Consensus, CreditRules are pure"
exit $status

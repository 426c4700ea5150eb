#!/usr/bin/env python3
"""Attributes `perf script` samples of a node to the subsystem of the first matching frame.

Usage (BENCHMARKS.md, "Where the time goes now"):
    perf record -F 1999 -g -p <validator pid> -o perf.data -- sleep 12     # during `bench load`
    perf script -i perf.data | scripts/perf-classify.py

Each sample's call stack is matched against the rules below in order; the first rule with a
frame in the stack takes the sample. Samples without a matching frame count as kernel/other
(a kernel leaf) or unattributed (user code without frame pointers: SQLite, libcrypto, libc).
"""
import collections
import sys

RULES = [
    ("verify:admission", ["TransactionAdmissionV6verify"]),
    ("verify:execution", ["15verifySignature"]),
    ("verify:consensus", ["Ed25519VerifierV0A4Core0aD0AadEP6verify"]),
    ("exec:speculative", ["executeSpeculatively"]),
    ("commit:blockstore", ["BlockStoreC6append", "BlockStoreC4sync"]),
    ("commit:execute", ["BlockExecutorV6commit"]),
    ("commit:sqlite", ["StateStoreC6record", "StateStoreC5apply", "retryUnrecorded"]),
    ("commit:other", ["commitStored"]),
    ("safety:persist", ["SafetyStoreC4save"]),
    ("consensus:core", ["9Consensus7ReplicaV4step"]),
    ("host:other", ["ReplicaHostC"]),
    ("http:submit", ["TransactionRoutes", "NodeAccessAdapter", "JSONEncoder", "Hummingbird", "NIOHTTP1", "HTTPTypes"]),
    ("peer:tls", ["NIOSSL", "CNIOBoringSSL"]),
    ("peer:wire", ["NodeWireMessage", "pumpInbound", "Transport"]),
    ("nio:other", ["NIOPosix", "NIOCore"]),
    ("swift-runtime", ["swift_job_run", "swift::"]),
]


def main() -> None:
    counts: collections.Counter = collections.Counter()
    total = 0
    block: list = []

    def flush() -> None:
        nonlocal total
        if not block:
            return
        total += 1
        stack = " ".join(block)
        for name, patterns in RULES:
            if any(p in stack for p in patterns):
                counts[name] += 1
                return
        counts["kernel/other" if "[kernel" in block[0] else "unattributed"] += 1

    for line in sys.stdin:
        if not line.strip():
            flush()
            block.clear()
        elif line.startswith((" ", "\t")):
            block.append(line.strip())
    flush()
    for name, n in counts.most_common():
        print(f"{name:22s} {100 * n / max(total, 1):5.1f}%")
    print("samples", total)


if __name__ == "__main__":
    main()

import Foundation
import Testing

@testable import ClusterSimulation

@Suite struct ClusterSimulationTests {
    @Test func sameSeedSameTrace() {
        let a = ClusterSimulation.run(SimulationOptions(seed: 42))
        let b = ClusterSimulation.run(SimulationOptions(seed: 42))
        let c = ClusterSimulation.run(SimulationOptions(seed: 43))
        #expect(a.traceHash == b.traceHash)
        #expect(a.steps == b.steps)
        #expect(a.traceHash != c.traceHash)
    }

    @Test func faultFreeClusterReachesTheTarget() {
        for n in [4, 7] {
            let r = ClusterSimulation.run(SimulationOptions(seed: 1, validators: n, faults: []))
            #expect(r.passed, "\(r.safetyViolations) \(r.livenessFailure ?? "")")
            #expect(r.committedHeight >= 50)
        }
    }

    @Test func allFaultsSmokeSeeds() {
        for seed in UInt64(1)...5 {
            let r = ClusterSimulation.run(SimulationOptions(seed: seed))
            #expect(r.passed, "seed \(seed): \(r.safetyViolations) \(r.livenessFailure ?? "") — \(r.replayCommand)")
        }
    }

    @Test func brokenSafetyRuleIsCaught() {
        // Honest replicas that skip the voting rules (one vote per round, the timeout-certificate
        // lock) must be caught by the checkers within a bounded number of seeds.
        let faults: Set<FaultKind> = [.equivocation, .twins, .delay, .reorder, .partition]
        var found: UInt64?
        for seed in UInt64(1)...60 {
            let r = ClusterSimulation.run(
                SimulationOptions(seed: seed, validators: 4, faults: faults, targetHeight: 30, unsafeVoting: true))
            if !r.safetyViolations.isEmpty {
                found = seed
                break
            }
        }
        #expect(found != nil)
    }

    @Test func faultListParses() throws {
        #expect(try FaultKind.parse("all") == Set(FaultKind.allCases))
        #expect(try FaultKind.parse("drop, twins") == [.drop, .twins])
        #expect(FaultKind.describe([.twins, .drop]) == "drop,twins")
        #expect(throws: SimulationError.self) { try FaultKind.parse("meteor") }
    }
}

/// The seed sets CI runs on every build: 300 seeds of 4 validators and 100 of 7, all fault kinds
/// (split into chunks so they run in parallel), plus every seed that ever failed.
@Suite struct SimulationSeedSets {
    static func check(_ seeds: ClosedRange<UInt64>, validators: Int, idleBlockIntervalMillis: Int64 = 0) async {
        let results = await onOwnThread {
            seeds.map {
                ClusterSimulation.run(
                    SimulationOptions(
                        seed: $0, validators: validators, targetHeight: 30,
                        idleBlockIntervalMillis: idleBlockIntervalMillis))
            }
        }
        for r in results {
            #expect(
                r.passed,
                "\(r.safetyViolations) \(r.livenessFailure ?? "") \(r.finalState) — replay: \(r.replayCommand)")
        }
    }

    @Test func fourValidatorsSeeds1To100() async { await Self.check(1...100, validators: 4) }
    @Test func fourValidatorsSeeds101To200() async { await Self.check(101...200, validators: 4) }
    @Test func fourValidatorsSeeds201To300() async { await Self.check(201...300, validators: 4) }
    @Test func sevenValidatorsSeeds1To100() async { await Self.check(1...100, validators: 7) }
    /// Leaders pace empty blocks (300 ms, a third of the round timeout), as nodes do.
    @Test func fourValidatorsIdlePacedSeeds1To100() async {
        await Self.check(1...100, validators: 4, idleBlockIntervalMillis: 300)
    }

    /// Seeds that failed during development (docs/simulation-log.md), at the full target height.
    static let regressions: [(seed: UInt64, validators: Int)] = [
        (11, 4), (61, 4), (62, 4), (63, 4), (98, 4), (101, 4), (115, 4), (140, 4), (155, 4), (177, 4), (558, 4),
    ]

    @Test func regressionSeeds() async {
        let results = await onOwnThread {
            Self.regressions.map { ClusterSimulation.run(SimulationOptions(seed: $0.seed, validators: $0.validators)) }
        }
        for r in results {
            #expect(r.passed, "\(r.safetyViolations) \(r.livenessFailure ?? "") — replay: \(r.replayCommand)")
        }
    }
}

/// Runs CPU-bound seeds on a thread of their own, one such thread at a time: a long synchronous
/// test on the cooperative pool (two threads on a two-core machine) would stall every async test
/// running beside it, and several seed sets at once would starve the network tests' event loops.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread {
            seedSetTurn.wait()
            let result = body()
            seedSetTurn.signal()
            continuation.resume(returning: result)
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

private let seedSetTurn = DispatchSemaphore(value: 1)

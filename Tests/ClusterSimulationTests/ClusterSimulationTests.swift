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

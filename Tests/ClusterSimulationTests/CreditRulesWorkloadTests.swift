import Testing

@testable import ClusterSimulation

/// The credit state machine under the cluster simulator: flows, deliberately invalid
/// transactions with their codes, and the credit checkers (C1–C7).
@Suite struct CreditRulesWorkloadTests {
    static func run(
        _ seed: UInt64, faults: Set<FaultKind> = Set(FaultKind.allCases),
        workload: CreditRulesWorkload = CreditRulesWorkload()
    ) -> SimulationResult {
        ClusterSimulation.run(
            SimulationOptions(seed: seed, faults: faults, targetHeight: 40, application: .creditRules),
            workload: workload)
    }

    static let flow = [
        "enterprise.register ok", "commitment.publish ok", "consent.grant ok", "order.place ok",
        "delivery.record ok", "receipt.record ok",
    ]

    @Test func sameSeedSameTrace() {
        let a = Self.run(7)
        let b = Self.run(7)
        let c = Self.run(8)
        #expect(a.traceHash == b.traceHash)
        #expect(a.outcomes == b.outcomes)
        #expect(a.traceHash != c.traceHash)
    }

    @Test func faultFreeClusterWalksTheWholeFlow() {
        let r = Self.run(1, faults: [])
        #expect(r.passed, "\(r.safetyViolations) \(r.livenessFailure ?? "")")
        #expect(r.committedHeight >= 40)
        for step in Self.flow { #expect((r.outcomes[step] ?? 0) > 0, "\(step) never committed") }
    }

    @Test func optionsSelectTheCreditApplication() {
        let r = ClusterSimulation.run(
            SimulationOptions(seed: 3, faults: [.drop, .crash], targetHeight: 20, application: .creditRules))
        #expect(r.passed, "\(r.safetyViolations) \(r.livenessFailure ?? "")")
        #expect(r.application == .creditRules)
        #expect(r.replayCommand.contains("--app credit-rules"))
        #expect((r.outcomes["enterprise.register ok"] ?? 0) > 0)
        #expect(r.outcomes["kv.put ok"] == nil)
    }

    @Test func brokenRevocationIsCaught() {
        // An application that reports revocations `ok` without applying them lets orders through
        // under revoked consents: C3 (orders against the committed revocations) and C6 (the
        // deliberately invalid order under a revoked consent) must both catch it.
        var caught: [String] = []
        for seed in UInt64(1)...20 {
            let r = Self.run(seed, workload: CreditRulesWorkload(fault: .ignoreRevocations))
            caught += r.safetyViolations
            let c3 = caught.contains { $0.hasPrefix("C3:") && $0.contains("revoked") }
            let c6 = caught.contains { $0.hasPrefix("C6:") && $0.contains("consent.revoked") }
            if c3 && c6 { break }
        }
        #expect(caught.contains { $0.hasPrefix("C3:") && $0.contains("revoked") }, "\(caught)")
        #expect(caught.contains { $0.hasPrefix("C6:") && $0.contains("consent.revoked") }, "\(caught)")
    }
}

/// The credit seed set CI runs on every build: 40 seeds of 4 validators, all fault kinds, target
/// height 40 (two chunks so they run in parallel). Over the set, every flow step commits and every
/// kind of deliberately invalid transaction is rejected with its code.
@Suite struct CreditSimulationSeedSets {
    static func check(_ seeds: ClosedRange<UInt64>) async -> [String: Int] {
        var outcomes = [String: Int]()
        let results = await onOwnThread { seeds.map { CreditRulesWorkloadTests.run($0) } }
        for r in results {
            #expect(
                r.passed,
                "\(r.safetyViolations.prefix(5)) \(r.livenessFailure ?? "") — replay: \(r.replayCommand)")
            outcomes.merge(r.outcomes, uniquingKeysWith: +)
        }
        return outcomes
    }

    static let invalidCodes = [
        "commitment.not_publisher", "enterprise.not_registrar", "order.unknown_consent", "consent.wrong_bank",
        "order.purpose_not_allowed", "tx.replayed", "tx.expired", "consent.expired", "consent.bad_signature",
        "consent.replayed", "consent.revoked", "commitment.already_expired",
    ]

    static func expectCoverage(_ outcomes: [String: Int]) {
        let steps =
            CreditRulesWorkloadTests.flow + [
                "consent.revoke ok", "objection.file ok", "objection.answer ok", "case.open ok",
            ]
        for step in steps { #expect((outcomes[step] ?? 0) > 0, "\(step) never committed") }
        for code in invalidCodes { #expect((outcomes["invalid \(code)"] ?? 0) > 0, "no invalid \(code) committed") }
    }

    /// Credit seeds that ever failed (docs/simulation-log.md).
    static let regressions: [UInt64] = [763]

    @Test func creditRegressionSeeds() async {
        let results = await onOwnThread { Self.regressions.map { CreditRulesWorkloadTests.run($0) } }
        for r in results {
            #expect(r.passed, "\(r.safetyViolations.prefix(5)) \(r.livenessFailure ?? "") — replay: \(r.replayCommand)")
        }
    }

    @Test func fourValidatorsCreditSeeds1To20() async { Self.expectCoverage(await Self.check(1...20)) }
    @Test func fourValidatorsCreditSeeds21To40() async { Self.expectCoverage(await Self.check(21...40)) }
}

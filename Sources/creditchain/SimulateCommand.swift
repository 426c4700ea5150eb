import ArgumentParser
import ClusterSimulation
import Foundation

/// `creditchain simulate`: runs seeds of the deterministic cluster simulator and reports the
/// checkers' findings; exits non-zero on any safety violation or liveness failure.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run seeds of the deterministic cluster simulator (all fault kinds by default)."
    )

    @Option(help: "Number of seeds to run.")
    var seeds: Int = 100

    @Option(name: .customLong("start-seed"), help: "First seed.")
    var startSeed: UInt64 = 1

    @Option(help: "Application: test-kv (key-value puts) or credit-rules (credit flows with the credit checkers).")
    var app: String = SimulatedApplication.testKV.rawValue

    @Option(help: "Validators per cluster: 4 or 7.")
    var validators: Int = 4

    @Option(
        help:
            "Comma-separated fault kinds, 'all' or 'none'. Kinds: \(FaultKind.allCases.map(\.rawValue).joined(separator: ", "))."
    )
    var faults: String = "all"

    @Option(help: "Idle pacing of empty blocks in ms (0: leaders propose at once, as without pacing).")
    var blockIntervalMs: Int64 = 0

    @Option(help: "Height every honest replica must commit.")
    var height: Int = 50

    @Flag(help: "Print one line per seed.")
    var verbose = false

    func validate() throws {
        guard validators == 4 || validators == 7 else { throw ValidationError("--validators must be 4 or 7") }
        guard seeds > 0 else { throw ValidationError("--seeds must be positive") }
        _ = try FaultKind.parse(faults)
        guard SimulatedApplication(rawValue: app) != nil else {
            throw ValidationError(
                "--app must be one of \(SimulatedApplication.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let kinds = try FaultKind.parse(faults)
        let application = SimulatedApplication(rawValue: app) ?? .testKV
        var safety = 0
        var liveness = 0
        var heights = 0
        var outcomes = [String: Int]()
        let cpuStart = clock()
        for offset in 0..<seeds {
            let seed = startSeed + UInt64(offset)
            let result = ClusterSimulation.run(
                SimulationOptions(
                    seed: seed, validators: validators, faults: kinds, targetHeight: height, application: application,
                    idleBlockIntervalMillis: blockIntervalMs))
            heights += result.committedHeight
            outcomes.merge(result.outcomes, uniquingKeysWith: +)
            if !result.safetyViolations.isEmpty { safety += 1 }
            if result.livenessFailure != nil { liveness += 1 }
            if verbose || !result.passed {
                let status = result.passed ? "ok" : "FAIL"
                print(
                    "seed \(seed): \(status) height \(result.committedHeight) steps \(result.steps) "
                        + "simulated \(result.simulatedMillis) ms evidence \(result.evidenceCount) "
                        + "trace \(String(result.traceHash, radix: 16))")
                for v in result.safetyViolations.prefix(5) { print("  \(v)") }
                if let l = result.livenessFailure { print("  \(l)") }
                if !result.passed { print("  replay: \(result.replayCommand)") }
            }
        }
        let cpu = Double(clock() - cpuStart) / Double(CLOCKS_PER_SEC)
        print(
            String(
                format: "cpu: %.2f s, %.1f ms per seed, %.0f committed heights per cpu-second", cpu,
                cpu * 1000 / Double(seeds), cpu > 0 ? Double(heights) / cpu : 0))
        if verbose {
            for (outcome, n) in outcomes.sorted(by: { $0.key < $1.key }) { print("  \(outcome): \(n)") }
        }
        print("app: \(application.rawValue)")
        // The last line, in the form scripts read.
        print(
            "seeds: \(seeds), safety violations: \(safety), liveness failures: \(liveness), committed heights: \(heights)"
        )
        if safety > 0 || liveness > 0 { throw ExitCode(1) }
    }
}

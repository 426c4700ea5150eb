import Foundation
import Node
import Testing

/// A seed's trace must not depend on the process: each run of the binary gets its own hash-table
/// seed, so two processes agree only if no replica or workload iterates a dictionary or set in
/// hash order. A replay command printed by a failing CI run must reproduce the failure.
struct SimulationReplayTests {
    func traces(_ binary: String, _ arguments: [String]) async throws -> [Substring] {
        let out = temporaryDirectory() + "-simulate.log"
        let status = try await LocalProcess.run(executable: binary, arguments: arguments, logPath: out)
        #expect(status == 0)
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.hasPrefix("seed ") }
    }

    @Test(arguments: ["test-kv", "credit-rules"])
    func twoProcessesGiveTheSameTraces(application: String) async throws {
        let binary = try ClusterHarness.findBinary()
        let arguments = ["simulate", "--app", application, "--seeds", "8", "--start-seed", "70", "--verbose"]
        let first = try await traces(binary, arguments)
        let second = try await traces(binary, arguments)
        #expect(first.count == 8)
        #expect(first == second)
    }
}

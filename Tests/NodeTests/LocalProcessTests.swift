import Foundation
import Node
import Testing

@Suite struct LocalProcessTests {
    /// A default fills only a name the environment leaves unset; the rest is inherited.
    @Test func environmentDefaultsFillOnlyUnsetNames() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lp-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/env.log"
        let status = try await LocalProcess.run(
            executable: "/usr/bin/env", arguments: [], logPath: log,
            environmentDefaults: ["CREDITCHAIN_TEST_DEFAULT": "filled", "PATH": "/nowhere"])
        #expect(status == 0)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.contains("CREDITCHAIN_TEST_DEFAULT=filled"))
        #expect(lines.contains { $0.hasPrefix("PATH=") && $0 != "PATH=/nowhere" })
    }
}

import Foundation
import Storage
import Testing

@testable import Node

/// The outbox performs saves and sends in the order queued; a send never runs after a failed save,
/// and nothing runs after one until `resume()`.
struct ConsensusOutboxTests {
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func append(_ s: String) { lock.withLock { items.append(s) } }
        var all: [String] { lock.withLock { items } }
    }

    @Test func sendsWaitForSavesAndStopAfterAFailedSave() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SafetyStore(directory: dir, recordBytesMax: 64)
        let outbox = ConsensusOutbox()
        let metrics = NodeMetrics()
        let log = Log()
        let failures = Log()
        func submit(_ ops: [ConsensusOutbox.Operation]) {
            outbox.submit(ops, store: store, metrics: metrics) { failures.append("\($0)") }
        }
        submit([
            .save([1, 2, 3]),
            // The save before it is durable when the send runs.
            .send { log.append((try? store.load()) == [1, 2, 3] ? "vote-1 after its record" : "vote-1 early") },
        ])
        // Too large for the store: the save fails, and the send behind it never runs.
        submit([.save([UInt8](repeating: 9, count: 65)), .send { log.append("vote-2") }])
        submit([.send { log.append("later") }, .save([4])])
        #expect(outbox.settle())
        #expect(log.all == ["vote-1 after its record"])
        #expect(failures.all.count == 1)
        #expect(try store.load() == [1, 2, 3])
        outbox.resume()
        submit([.save([5]), .send { log.append("after resume") }])
        #expect(!outbox.settle())
        #expect(log.all == ["vote-1 after its record", "after resume"])
        #expect(try store.load() == [5])
    }
}

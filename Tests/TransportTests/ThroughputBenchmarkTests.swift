import ChainCore
import Foundation
import Testing

@testable import Transport

/// Frames per second over one mutual-TLS link on loopback, for BENCHMARKS.md. Not a timed test:
/// it asserts only delivery and runs when CREDITCHAIN_TRANSPORT_BENCH is set.
@Suite(.serialized) struct ThroughputBenchmarkTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CREDITCHAIN_TRANSPORT_BENCH"] != nil))
    func messagesPerSecondOverOneLink() async throws {
        let consortium = try TestConsortium()
        var limits = testLimits()
        limits.inboundMessagesPerSecond = 1e9
        limits.inboundMessageBurst = 1e9
        limits.inboundBytesPerSecond = 1e12
        limits.inboundByteBurst = 1e12
        let nodeB = try consortium.node("validator-b", limits: limits)
        try await nodeB.start()
        let nodeA = try consortium.node("validator-a", peers: [member("validator-b"): nodeB.endpoint], limits: limits)
        try await nodeA.start()
        #expect(await eventually { nodeA.isLinked(to: member("validator-b")) })
        for size in [256, 1024, 16 * 1024, 256 * 1024] {
            let count = max(200, min(50_000, 64 * 1024 * 1024 / size))
            let payload = [UInt8](repeating: 0xA5, count: size)
            let started = ContinuousClock.now
            let sender = Task {
                var sent = 0
                while sent < count {
                    // Keep within the send queue: wait while it is more than half full.
                    let queued = nodeA.peerStatus().first { $0.member == member("validator-b") }?.queuedMessages ?? 0
                    if queued > limits.sendQueueMessages / 2 {
                        await Task.yield()
                        continue
                    }
                    nodeA.send(payload, to: member("validator-b"))
                    sent += 1
                }
            }
            var received = 0
            for await message in nodeB.inbound {
                #expect(message.bytes.count == size)
                received += 1
                if received == count { break }
            }
            await sender.value
            let seconds =
                Double((ContinuousClock.now - started).components.attoseconds) / 1e18
                + Double((ContinuousClock.now - started).components.seconds)
            print(
                "throughput: \(size) B x \(count): \(Int(Double(count) / seconds)) msg/s, "
                    + "\(String(format: "%.1f", Double(count * size) / seconds / 1_048_576)) MiB/s")
            #expect(received == count)
        }
        #expect(nodeA.metrics().sendQueueDrops == 0)
        await nodeA.shutdown()
        await nodeB.shutdown()
    }
}

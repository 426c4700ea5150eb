import NIOCore
import Testing

@testable import Transport

/// A fixed-sequence generator so jitter is reproducible.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
}

@Suite struct ReconnectBackoffTests {
    @Test func delaysGrowExponentiallyWithinJitterBoundsUpToTheMaximum() {
        var backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(2))
        var generator = SeededGenerator(state: 42)
        let steps: [Int64] = [100, 200, 400, 800, 1600, 2000, 2000, 2000]
        for step in steps {
            let delay = backoff.nextDelay(using: &generator).nanoseconds
            #expect(delay >= step * 1_000_000 / 2)
            #expect(delay <= step * 1_000_000)
        }
    }

    @Test func jitterSpreadsPeersApart() {
        var generator = SeededGenerator(state: 7)
        let delays = (0..<20).map { _ in
            var backoff = ReconnectBackoff(initial: .seconds(1), maximum: .seconds(1))
            return backoff.nextDelay(using: &generator)
        }
        #expect(Set(delays).count > 10)
    }

    @Test func resetStartsOver() {
        var backoff = ReconnectBackoff(initial: .milliseconds(10), maximum: .seconds(10))
        var generator = SeededGenerator(state: 1)
        for _ in 0..<10 { _ = backoff.nextDelay(using: &generator) }
        backoff.reset()
        #expect(backoff.nextDelay(using: &generator) <= .milliseconds(10))
    }

    @Test func hugeAttemptCountsDoNotOverflow() {
        var backoff = ReconnectBackoff(initial: .seconds(1), maximum: .seconds(30))
        var generator = SeededGenerator(state: 3)
        for _ in 0..<100 { #expect(backoff.nextDelay(using: &generator) <= .seconds(30)) }
    }
}

import NIOCore
import Testing

@testable import Transport

@Suite struct TokenBucketTests {
    @Test func burstIsFreeThenDebtPausesAtTheRate() {
        var bucket = TokenBucket(ratePerSecond: 100, burst: 10, nowNanos: 0)
        for _ in 0..<10 { #expect(bucket.consume(1, nowNanos: 0) == nil) }
        // One token over: 1/100 s of debt.
        #expect(bucket.consume(1, nowNanos: 0) == .milliseconds(10))
        // After 20 ms, 2 tokens came back: -1 + 2 = 1 left.
        #expect(bucket.consume(1, nowNanos: 20_000_000) == nil)
        #expect(bucket.tokens == 0)
    }

    @Test func refillNeverExceedsBurst() {
        var bucket = TokenBucket(ratePerSecond: 1000, burst: 5, nowNanos: 0)
        _ = bucket.consume(5, nowNanos: 0)
        _ = bucket.consume(0, nowNanos: 60_000_000_000)
        #expect(bucket.tokens == 5)
    }

    @Test func inboundLimitTakesTheLongerPause() {
        var limits = TransportLimits()
        limits.inboundMessagesPerSecond = 1000
        limits.inboundMessageBurst = 1000
        limits.inboundBytesPerSecond = 1000
        limits.inboundByteBurst = 1000
        var limit = InboundRateLimit(limits: limits, nowNanos: 0)
        #expect(limit.admit(frameBytes: 1000, nowNanos: 0) == nil)
        // 500 bytes of debt at 1000 B/s = 500 ms; messages still have tokens.
        #expect(limit.admit(frameBytes: 500, nowNanos: 0) == .milliseconds(500))
    }
}

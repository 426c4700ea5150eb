import NIOCore

/// A token bucket that may go into debt: a frame that has already arrived is always accepted, and
/// the debt says how long the connection must stop reading so the average stays at the rate. Pausing
/// reads pushes back on the sender through TCP instead of dropping data it already sent.
/// Pure: time comes in as nanoseconds from a monotonic clock.
public struct TokenBucket: Sendable, Equatable {
    public let ratePerSecond: Double
    public let burst: Double
    public private(set) var tokens: Double
    private var lastNanos: UInt64

    public init(ratePerSecond: Double, burst: Double, nowNanos: UInt64) {
        precondition(ratePerSecond > 0 && burst > 0, "a rate limit needs a positive rate and burst")
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.tokens = burst
        self.lastNanos = nowNanos
    }

    /// Takes `cost` tokens and returns how long to pause reading before the bucket is out of debt
    /// (`nil`: no pause needed).
    public mutating func consume(_ cost: Double, nowNanos: UInt64) -> TimeAmount? {
        refill(nowNanos: nowNanos)
        tokens -= cost
        guard tokens < 0 else { return nil }
        return .nanoseconds(Int64((-tokens / ratePerSecond * 1e9).rounded(.up)))
    }

    private mutating func refill(nowNanos: UInt64) {
        guard nowNanos > lastNanos else { return }
        tokens = min(burst, tokens + Double(nowNanos - lastNanos) / 1e9 * ratePerSecond)
        lastNanos = nowNanos
    }
}

/// The per-member inbound limit: messages per second and bytes per second, each a `TokenBucket`.
public struct InboundRateLimit: Sendable, Equatable {
    public var messages: TokenBucket
    public var bytes: TokenBucket

    public init(limits: TransportLimits, nowNanos: UInt64) {
        messages = TokenBucket(
            ratePerSecond: limits.inboundMessagesPerSecond, burst: limits.inboundMessageBurst, nowNanos: nowNanos)
        bytes = TokenBucket(
            ratePerSecond: limits.inboundBytesPerSecond, burst: limits.inboundByteBurst, nowNanos: nowNanos)
    }

    /// Charges one frame of `frameBytes`; returns the longer of the two pauses.
    public mutating func admit(frameBytes: Int, nowNanos: UInt64) -> TimeAmount? {
        let a = messages.consume(1, nowNanos: nowNanos)
        let b = bytes.consume(Double(frameBytes), nowNanos: nowNanos)
        switch (a, b) {
        case (nil, nil): return nil
        case (let x?, nil), (nil, let x?): return x
        case (let x?, let y?): return max(x, y)
        }
    }
}

import NIOCore

/// Delays between reconnection attempts to a configured peer: exponential from `initial` up to
/// `maximum`, with "equal jitter" (half the step fixed, half uniform) so that peers restarted
/// together do not reconnect in lockstep while a dead peer is still not hammered.
/// Pure: randomness comes from the generator passed in.
public struct ReconnectBackoff: Sendable, Equatable {
    public let initial: TimeAmount
    public let maximum: TimeAmount
    public private(set) var attempt: Int = 0

    public init(initial: TimeAmount, maximum: TimeAmount) {
        precondition(initial.nanoseconds > 0 && maximum >= initial, "backoff needs 0 < initial <= maximum")
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay before the next attempt; each call doubles the step until `maximum`.
    public mutating func nextDelay(using generator: inout some RandomNumberGenerator) -> TimeAmount {
        let shift = min(attempt, 30)
        let (scaled, overflow) = initial.nanoseconds.multipliedReportingOverflow(by: Int64(1) << Int64(shift))
        let step = overflow ? maximum.nanoseconds : min(scaled, maximum.nanoseconds)
        attempt += 1
        let half = step / 2
        return .nanoseconds(half + Int64.random(in: 0...(step - half), using: &generator))
    }

    /// Called once a connection authenticated: the next failure starts again from `initial`.
    public mutating func reset() { attempt = 0 }
}

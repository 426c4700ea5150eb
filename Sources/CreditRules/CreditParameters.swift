import ChainCore

/// Numeric parameters of the rules, set in genesis and changed by governance (a change applies
/// to the checks of later blocks: each block reads the parameters once, at its start). Names are the
/// snake_case keys of the genesis JSON and of the `set_parameter` proposal.
public struct CreditParameters: Hashable, Sendable, Codable, CanonicalCodable {
    /// Yes votes of governing members that execute a proposal.
    public var governanceThreshold: Int64 = 2
    public var proposalLifetimeMillis: Int64 = 7 * 86_400_000
    /// The longest a consent may be valid (Art. 13: consent is specific and bounded).
    public var consentMaxValidityMillis: Int64 = 366 * 86_400_000
    public var commitmentBatchMax: Int64 = 1000
    public var orderLifetimeMillis: Int64 = 7 * 86_400_000
    public var orderRecordsMax: Int64 = 256
    /// 20 days (Art. 25).
    public var objectionDeadlineMillis: Int64 = 20 * 86_400_000
    /// Bounds of the per-block sweeps (expiry, orders, objections).
    public var sweepMax: Int64 = 1000
    /// 1: a `loan_application` order without an application reference is refused; 0: it is
    /// accepted and raises an alert.
    public var requireLoanReference: Int64 = 0
    public var alertDailyOrdersMax: Int64 = 1000
    /// A bank's orders today above this percentage of its trailing daily average raise an alert.
    public var alertSpikePercent: Int64 = 300
    public var alertSpikeWindowDays: Int64 = 7
    /// Below this many orders today no spike is reported.
    public var alertSpikeMinimum: Int64 = 50
    public var alertConsentUsesMax: Int64 = 20
    public var alertRejectedAttemptsMax: Int64 = 10
    /// Envelopes may not be valid further ahead than this many blocks (bounds replay records).
    public var transactionLifetimeBlocksMax: Int64 = 1000

    public init() {}

    static var names: [(String, WritableKeyPath<CreditParameters, Int64>)] {
        [
            ("governance_threshold", \.governanceThreshold),
            ("proposal_lifetime_millis", \.proposalLifetimeMillis),
            ("consent_max_validity_millis", \.consentMaxValidityMillis),
            ("commitment_batch_max", \.commitmentBatchMax),
            ("order_lifetime_millis", \.orderLifetimeMillis),
            ("order_records_max", \.orderRecordsMax),
            ("objection_deadline_millis", \.objectionDeadlineMillis),
            ("sweep_max", \.sweepMax),
            ("require_loan_reference", \.requireLoanReference),
            ("alert_daily_orders_max", \.alertDailyOrdersMax),
            ("alert_spike_percent", \.alertSpikePercent),
            ("alert_spike_window_days", \.alertSpikeWindowDays),
            ("alert_spike_minimum", \.alertSpikeMinimum),
            ("alert_consent_uses_max", \.alertConsentUsesMax),
            ("alert_rejected_attempts_max", \.alertRejectedAttemptsMax),
            ("transaction_lifetime_blocks_max", \.transactionLifetimeBlocksMax),
        ]
    }

    /// Every parameter name, in canonical order.
    public static var parameterNames: [String] { names.map(\.0) }

    /// Sets a parameter by name; refuses unknown names and out-of-range values.
    public mutating func set(_ name: String, _ value: Int64) throws {
        guard let kp = Self.names.first(where: { $0.0 == name })?.1 else {
            throw CreditRulesError("governance.unknown_parameter", name)
        }
        guard value >= 0, value <= Int64(1) << 48 else {
            throw CreditRulesError("governance.bad_parameter", "\(name) out of range")
        }
        if name == "objection_deadline_millis" && value > 20 * 86_400_000 {
            throw CreditRulesError("governance.bad_parameter", "objections are answered within 20 days (Art. 25)")
        }
        if name == "governance_threshold" && value < 1 {
            throw CreditRulesError("governance.bad_parameter", "the threshold is at least 1")
        }
        self[keyPath: kp] = value
    }

    public func value(_ name: String) -> Int64? {
        Self.names.first(where: { $0.0 == name }).map { self[keyPath: $0.1] }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        self.init()
        for key in c.allKeys {
            // A decoder converting from snake_case hands over camelCase keys.
            try set(Self.snakeCase(key.stringValue), try c.decode(Int64.self, forKey: key))
        }
    }

    static func snakeCase(_ s: String) -> String {
        var out = ""
        for ch in s {
            if ch.isUppercase {
                out.append("_")
                out.append(contentsOf: ch.lowercased())
            } else {
                out.append(ch)
            }
        }
        return out
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        for (name, kp) in Self.names { try c.encode(self[keyPath: kp], forKey: AnyKey(name)) }
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.u32(UInt32(Self.names.count))
        for (_, kp) in Self.names { e.i64(self[keyPath: kp]) }
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("parameters.version", supported: 1...1)
        let n = try d.u32("parameters.count")
        guard n == UInt32(Self.names.count) else {
            throw ChainCoreError(code: "codec.invalid_value", field: "parameters.count", reason: "unexpected count")
        }
        self.init()
        for (_, kp) in Self.names { self[keyPath: kp] = try d.i64("parameters.value") }
    }
}

/// A JSON key given at run time.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

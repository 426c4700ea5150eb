/// The faults the simulator injects. Network and crash faults stop at the heal time; Byzantine
/// behaviours (at most f replicas) go on to the end of the run.
public enum FaultKind: String, CaseIterable, Sendable, Hashable {
    case drop
    case delay
    case duplicate
    case reorder
    case partition
    case crash
    case drift
    case equivocation
    case doubleVote = "double-vote"
    case badSignature = "bad-signature"
    case withhold
    case hugeRound = "huge-round"
    case twins

    /// Behaviours that need a Byzantine replica.
    public var isByzantine: Bool {
        switch self {
        case .equivocation, .doubleVote, .badSignature, .withhold, .hugeRound, .twins: return true
        default: return false
        }
    }

    /// Parses a comma-separated list; `all` means every kind, `none` no fault.
    public static func parse(_ list: String) throws -> Set<FaultKind> {
        var out = Set<FaultKind>()
        for raw in list.split(separator: ",").map({ String($0.filter { $0 != " " }) }) where !raw.isEmpty {
            if raw == "all" {
                out.formUnion(FaultKind.allCases)
            } else if raw == "none" {
                continue
            } else if let kind = FaultKind(rawValue: raw) {
                out.insert(kind)
            } else {
                throw SimulationError(reason: "unknown fault kind \(raw); known: \(FaultKind.allCases.map(\.rawValue))")
            }
        }
        return out
    }

    /// The canonical spelling of a set (sorted as declared), for replay commands.
    public static func describe(_ set: Set<FaultKind>) -> String {
        if set == Set(FaultKind.allCases) { return "all" }
        if set.isEmpty { return "none" }
        return FaultKind.allCases.filter(set.contains).map(\.rawValue).joined(separator: ",")
    }
}

/// An invalid simulation request.
public struct SimulationError: Error, Sendable, CustomStringConvertible {
    public let code = "simulation.invalid_options"
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { "\(code): \(reason)" }
}

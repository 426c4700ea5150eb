import ChainCore

/// The validators in force at some height, sorted by member id, each with one vote.
///
/// The quorum is ⌊2n/3⌋ + 1 of *this* set's n (2f + 1 when n = 3f + 1): a certificate is always
/// checked against the set in force at its height, never against a quorum computed for another n.
public struct ValidatorSet: Hashable, Sendable, CanonicalCodable {
    /// Bound on the set size (and on certificate signature lists).
    public static let sizeMax = 1024

    public let validators: [Validator]
    private let indexByMember: [MemberID: Int]

    /// Throws `validators.empty`, `validators.too_many` or `validators.duplicate`.
    public init(_ validators: [Validator]) throws {
        guard !validators.isEmpty else {
            throw LedgerError(code: "validators.empty", reason: "a validator set needs at least one validator")
        }
        guard validators.count <= Self.sizeMax else {
            throw LedgerError(code: "validators.too_many", reason: "at most \(Self.sizeMax) validators")
        }
        let sorted = validators.sorted { $0.member < $1.member }
        var index = [MemberID: Int]()
        for (i, v) in sorted.enumerated() {
            guard index.updateValue(i, forKey: v.member) == nil else {
                throw LedgerError(code: "validators.duplicate", reason: "member \(v.member) appears twice")
            }
        }
        self.validators = sorted
        self.indexByMember = index
    }

    public var count: Int { validators.count }

    /// ⌊2n/3⌋ + 1.
    public var quorum: Int { count * 2 / 3 + 1 }

    /// f = ⌊(n − 1)/3⌋, the number of faults tolerated; f + 1 signers include an honest one.
    public var faultsTolerated: Int { (count - 1) / 3 }

    public func contains(_ member: MemberID) -> Bool { indexByMember[member] != nil }

    public func index(of member: MemberID) -> Int? { indexByMember[member] }

    public func publicKey(of member: MemberID) -> [UInt8]? {
        indexByMember[member].map { validators[$0].publicKey }
    }

    /// The leader of `round`: validators rotate in member-id order.
    public func leader(for round: Round) -> MemberID {
        validators[Int(round.value % UInt64(count))].member
    }

    public static func == (a: ValidatorSet, b: ValidatorSet) -> Bool { a.validators == b.validators }
    public func hash(into h: inout Hasher) { h.combine(validators) }

    public func encode(to e: inout CanonicalEncoder) {
        e.array(validators, max: Self.sizeMax)
    }

    public init(from d: inout CanonicalDecoder) throws {
        let list: [Validator] = try d.array("validator_set", max: Self.sizeMax, minElementSize: 9)
        do { try self.init(list) } catch let error as LedgerError {
            throw ChainCoreError(code: "codec.invalid_value", field: "validator_set", reason: error.reason)
        }
    }
}

/// The validator sets of a chain by height: genesis's set from height 0, then each committed
/// change from its effective height. With this and genesis anyone can pick the set that must have
/// signed the certificate of any height.
///
/// Encoding (docs/encoding.md, "Validator schedule"): version 1 ‖ array(height ‖ validator set),
/// heights strictly ascending from 0; the node persists it with the applied state.
public struct ValidatorSchedule: Hashable, Sendable, CanonicalCodable {
    /// Bound on the entries of a decoded schedule.
    public static let entriesMax = 4096

    /// One set and the first height it is in force.
    public struct Entry: Hashable, Sendable {
        public var height: Height
        public var set: ValidatorSet
    }

    /// Ascending by height; the first entry starts at height 0.
    public private(set) var entries: [Entry]

    public init(genesis: ValidatorSet) {
        entries = [Entry(height: Height(0), set: genesis)]
    }

    /// The set in force at `height`.
    public func set(at height: Height) -> ValidatorSet {
        var chosen = entries[0].set
        for entry in entries where entry.height <= height { chosen = entry.set }
        return chosen
    }

    /// Records a change from `height` on (a later decision for the same or an earlier height
    /// replaces the entries from there).
    public mutating func add(_ set: ValidatorSet, from height: Height) {
        entries.removeAll { $0.height >= height && $0.height > Height(0) }
        entries.append(Entry(height: height, set: set))
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.array(entries, max: Self.entriesMax) { e, entry in
            e.value(entry.height)
            e.value(entry.set)
        }
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("validator_schedule.version", supported: 1...1)
        let list: [Entry] = try d.array("validator_schedule.entries", max: Self.entriesMax, minElementSize: 12) {
            d in Entry(height: try d.value(), set: try d.value())
        }
        guard let first = list.first, first.height == Height(0),
            zip(list, list.dropFirst()).allSatisfy({ $0.height < $1.height })
        else {
            throw ChainCoreError(
                code: "codec.invalid_value", field: "validator_schedule.entries",
                reason: "heights must ascend strictly from 0")
        }
        entries = list
    }

    /// The schedule with the validator-set updates of the committed block at `height` added. A
    /// change takes effect at its effective height, but never less than `heightWindow + 1` above
    /// its block, so every replica that accepts a block at that height has committed the change.
    /// Consensus, block sync and a node's recovery all derive the schedule with this one rule.
    public func adding(_ updates: [ValidatorSetUpdate], decidedAt height: Height, heightWindow: UInt64)
        -> ValidatorSchedule
    {
        var schedule = self
        for update in updates {
            guard let set = try? ValidatorSet(update.validators) else { continue }
            let floor = height.value &+ heightWindow &+ 1
            schedule.add(set, from: Height(max(update.effectiveHeight.value, floor)))
        }
        return schedule
    }

    /// Drops entries superseded at or before `height` (keeps the one in force there).
    public mutating func prune(below height: Height) {
        while entries.count > 1 && entries[1].height <= height { entries.removeFirst() }
    }
}

import ChainCore

/// Typed reads of committed credit state from a key-value source (the node's state store, which
/// holds exactly the entries the rules wrote). The API layers `ReadPolicy` on top; these reads
/// decide nothing about who may see a value.
public struct CreditStateReads: Sendable {
    /// Returns the stored value of a key, or nil.
    public typealias Getter = @Sendable ([UInt8]) throws -> [UInt8]?
    let get: Getter

    public init(_ get: @escaping Getter) { self.get = get }

    func read<T: CanonicalCodable>(_ key: [UInt8], as type: T.Type = T.self) throws -> T? {
        guard let bytes = try get(key) else { return nil }
        return try T(canonicalBytes: bytes)
    }

    public func member(_ id: MemberID) throws -> Member? { try read(Keys.member(id)) }
    public func enterprise(_ subject: Hash) throws -> EnterpriseEntry? { try read(Keys.enterprise(subject)) }
    public func order(_ id: UInt64) throws -> QueryOrder? { try read(Keys.order(id)) }
    public func consent(_ id: Hash) throws -> ConsentEntry? { try read(Keys.consent(id)) }
    public func points(_ member: MemberID) throws -> Int64 {
        try read(Keys.points(member), as: PointsBalance.self)?.value ?? 0
    }
    /// How many of a sequence exist (`order`, `audit`, `rejected`, `objection`, `case`, `alert`…).
    public func count(_ name: StaticString) throws -> UInt64 {
        try read(Keys.counter(name), as: Counter.self)?.value ?? 0
    }
    /// A subject's audit log from `first`, at most `limit` entries, oldest first.
    public func auditLog(_ subject: Hash, from first: UInt64 = 0, limit: Int) throws -> (total: UInt64, [AuditEntry]) {
        let total = try read(Keys.auditHead(subject), as: AuditHead.self)?.count ?? 0
        var entries: [AuditEntry] = []
        var seq = first
        while seq < total && entries.count < limit {
            if let e = try read(Keys.audit(subject, seq), as: AuditEntry.self) { entries.append(e) }
            seq += 1
        }
        return (total, entries)
    }
}

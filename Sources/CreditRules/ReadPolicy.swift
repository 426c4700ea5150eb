import ChainCore

/// Who is reading: a member's staff or system (through its own node's API), or an enterprise
/// signed in to the portal with its key.
public enum Reader: Hashable, Sendable {
    case member(MemberID, MemberRole)
    case enterprise(Hash)
}

/// A read decision, with the reason when denied.
public enum ReadDecision: Hashable, Sendable {
    case allow
    case deny(String)

    public var isAllowed: Bool { self == .allow }
}

/// Decides who may read which state (the API enforces it): the supervisor reads all metadata
/// but never credit data (none is on chain); a bank its own orders, consents and notices; an
/// enterprise everything about itself; a mediator its cases and the history of disputed
/// records; a source the orders and objections concerning its own records. Pure: the caller
/// passes the values, and for mediators the objections their cases concern.
public struct ReadPolicy: Sendable {
    public init() {}

    private func member(_ r: Reader) -> (MemberID, MemberRole)? {
        if case .member(let id, let role) = r { return (id, role) }
        return nil
    }

    private func isSupervisor(_ r: Reader) -> Bool { member(r)?.1 == .supervisor }

    public func order(_ o: QueryOrder, reader: Reader) -> ReadDecision {
        switch reader {
        case .enterprise(let s): return s == o.subject ? .allow : .deny("read.not_subject")
        case .member(let id, let role):
            if role == .supervisor || o.bank == id { return .allow }
            if o.items.contains(where: { $0.publisher == id }) { return .allow }
            return .deny("read.not_party")
        }
    }

    public func consent(_ c: ConsentEntry, reader: Reader) -> ReadDecision {
        switch reader {
        case .enterprise(let s): return s == c.body.subject ? .allow : .deny("read.not_subject")
        case .member(let id, let role):
            return role == .supervisor || c.body.bank == id || c.registeredBy == id ? .allow : .deny("read.not_party")
        }
    }

    /// Record metadata (commitment, versions, history). `disputedBy` lists the mediators with a
    /// case on the record.
    public func record(_ r: RecordEntry, reader: Reader, receivedBy: Set<MemberID> = [], disputedBy: Set<MemberID> = [])
        -> ReadDecision
    {
        switch reader {
        case .enterprise(let s): return s == r.subject ? .allow : .deny("read.not_subject")
        case .member(let id, let role):
            if role == .supervisor || r.publisher == id || r.firstPublisher == id { return .allow }
            if receivedBy.contains(id) || disputedBy.contains(id) { return .allow }
            return .deny("read.not_party")
        }
    }

    /// A subject's audit log: the subject itself, the supervisor, and a mediator with a case
    /// on the subject.
    public func auditLog(subject: Hash, reader: Reader, mediatorsWithCase: Set<MemberID> = []) -> ReadDecision {
        switch reader {
        case .enterprise(let s): return s == subject ? .allow : .deny("read.not_subject")
        case .member(let id, let role):
            return role == .supervisor || mediatorsWithCase.contains(id) ? .allow : .deny("read.not_party")
        }
    }

    public func objection(_ o: Objection, reader: Reader) -> ReadDecision {
        switch reader {
        case .enterprise(let s): return s == o.body.subject ? .allow : .deny("read.not_subject")
        case .member(let id, let role):
            if role == .supervisor || role == .mediator || o.publisher == id || o.filedBy == id { return .allow }
            return .deny("read.not_party")
        }
    }

    public func mediationCase(_ c: MediationCase, objection: Objection, reader: Reader) -> ReadDecision {
        switch reader {
        case .enterprise(let s): return s == objection.body.subject ? .allow : .deny("read.not_subject")
        case .member(let id, let role):
            if role == .supervisor || c.mediator == id || objection.publisher == id { return .allow }
            return .deny("read.not_party")
        }
    }

    /// Alerts and rejected attempts are the supervisor's; a member sees its own rejections.
    public func alert(_ a: Alert, reader: Reader) -> ReadDecision {
        isSupervisor(reader) ? .allow : .deny("read.supervisor_only")
    }

    public func rejectedAttempt(_ r: RejectedAttempt, reader: Reader) -> ReadDecision {
        if isSupervisor(reader) || member(reader)?.0 == r.member { return .allow }
        return .deny("read.not_party")
    }

    public func notice(_ n: CorrectionNotice, reader: Reader) -> ReadDecision {
        if isSupervisor(reader) || member(reader)?.0 == n.bank { return .allow }
        return .deny("read.not_party")
    }

    /// Points balances and settlement statements: the member itself and the supervisor.
    public func points(of owner: MemberID, reader: Reader) -> ReadDecision {
        if isSupervisor(reader) || member(reader)?.0 == owner { return .allow }
        return .deny("read.not_party")
    }

    /// Members, catalog, proposals and the validator set are consortium metadata every member
    /// reads; enterprises read the catalog only.
    public func consortiumMetadata(reader: Reader) -> ReadDecision {
        member(reader) != nil ? .allow : .deny("read.members_only")
    }
}

import ChainCore
import Ledger

// Members and governance (mission.md, "Governance"): proposals by governing members (bureaus and
// the supervisor), votes up to the genesis threshold, the supervisor's veto and immediate
// freeze/unfreeze.
extension CreditRulesApplication {
    func requireGoverning(_ id: MemberID) throws -> Member {
        let m = try requireMember(id)
        guard m.role.isGoverning else {
            throw CreditRulesError("governance.not_governing", "only bureaus and the supervisor govern")
        }
        return m
    }

    mutating func propose(_ p: ProposePayload, by signer: MemberID) throws {
        _ = try requireGoverning(signer)
        try validate(p.action)
        let id = nextID("proposal")
        var proposal = Proposal(
            id: id, action: p.action, proposer: signer, createdAtMillis: now,
            expiresAtMillis: now + parameters.proposalLifetimeMillis)
        try settle(&proposal)
        createdDetail = Self.settledDetail(proposal)
        state.write(Keys.proposal(id), proposal)
    }

    /// `proposal N`, then how it stands after this transaction: `open`, `executed`, `rejected`
    /// or `failed <code>` (the submitter learns what its proposal or vote did).
    static func settledDetail(_ p: Proposal) -> String {
        switch p.status {
        case .failed: return "proposal \(p.id) failed \(p.resultCode)"
        default: return "proposal \(p.id) \(p.status)"
        }
    }

    mutating func vote(_ v: VotePayload, by signer: MemberID) throws {
        _ = try requireGoverning(signer)
        guard var proposal = state.read(Keys.proposal(v.proposalID), as: Proposal.self) else {
            throw CreditRulesError("governance.unknown_proposal")
        }
        guard proposal.status == .open else { throw CreditRulesError("governance.proposal_closed") }
        // An expired proposal stays as it was; readers compare `expiresAtMillis` with block time.
        guard now < proposal.expiresAtMillis else { throw CreditRulesError("governance.proposal_expired") }
        guard !proposal.yes.contains(signer), !proposal.no.contains(signer) else {
            throw CreditRulesError("governance.already_voted")
        }
        if v.approve { proposal.yes.append(signer) } else { proposal.no.append(signer) }
        try settle(&proposal)
        createdDetail = Self.settledDetail(proposal)
        state.write(Keys.proposal(v.proposalID), proposal)
    }

    /// Executes the proposal once it has enough yes votes; rejects it once it cannot get them.
    mutating func settle(_ proposal: inout Proposal) throws {
        let threshold = Int(max(1, parameters.governanceThreshold))
        // Votes count only from members still governing and active.
        let yes = proposal.yes.filter { isActiveGoverning($0) }.count
        if yes >= threshold {
            do {
                try apply(proposal.action)
                proposal.status = .executed
                proposal.resultCode = "ok"
            } catch let e as CreditRulesError {
                proposal.status = .failed
                proposal.resultCode = e.code
            }
            return
        }
        let governing = governingCount()
        let no = proposal.no.filter { isActiveGoverning($0) }.count
        if governing - no < threshold {
            proposal.status = .rejected
            proposal.resultCode = "governance.rejected"
        }
    }

    func isActiveGoverning(_ id: MemberID) -> Bool {
        guard let m = state.read(Keys.member(id), as: Member.self) else { return false }
        return m.status == .active && m.role.isGoverning
    }

    /// Number of active governing members. Members are few (bounded by genesis and governance),
    /// so they are tracked in a sorted member list.
    func governingCount() -> Int {
        memberIDs().filter { isActiveGoverning($0) }.count
    }

    /// All member ids ever added, sorted.
    func memberIDs() -> [MemberID] {
        state.read(Keys.memberList, as: MemberList.self)?.ids ?? []
    }

    mutating func veto(_ v: VetoPayload, by signer: MemberID) throws {
        _ = try requireRole(signer, .supervisor, code: "governance.not_supervisor")
        guard var proposal = state.read(Keys.proposal(v.proposalID), as: Proposal.self) else {
            throw CreditRulesError("governance.unknown_proposal")
        }
        guard proposal.status == .open else { throw CreditRulesError("governance.proposal_closed") }
        proposal.status = .vetoed
        proposal.resultCode = "governance.vetoed"
        state.write(Keys.proposal(v.proposalID), proposal)
    }

    mutating func freeze(_ f: FreezePayload, by signer: MemberID) throws {
        _ = try requireRole(signer, .supervisor, code: "supervision.not_supervisor")
        guard f.member != signer else { throw CreditRulesError("supervision.self_freeze") }
        var m = try requireMember(f.member)
        guard m.status == .active else { throw CreditRulesError("supervision.not_active") }
        m.status = .frozen
        state.write(Keys.member(f.member), m)
    }

    mutating func unfreeze(_ f: UnfreezePayload, by signer: MemberID) throws {
        _ = try requireRole(signer, .supervisor, code: "supervision.not_supervisor")
        var m = try requireMember(f.member)
        guard m.status == .frozen else { throw CreditRulesError("supervision.not_frozen") }
        m.status = .active
        state.write(Keys.member(f.member), m)
    }

    mutating func suspendType(_ s: SuspendTypePayload, by signer: MemberID) throws {
        _ = try requireRole(signer, .supervisor, code: "supervision.not_supervisor")
        guard var entry = state.read(Keys.type(s.typeCode), as: DataTypeEntry.self) else {
            throw CreditRulesError("catalog.unknown_type")
        }
        entry.suspended = s.suspended
        state.write(Keys.type(s.typeCode), entry)
        typeCache.removeAll(keepingCapacity: true)
    }

    mutating func acknowledgeAlert(_ a: AcknowledgeAlertPayload, by signer: MemberID) throws {
        _ = try requireRole(signer, .supervisor, code: "supervision.not_supervisor")
        guard var alert = state.read(Keys.alert(a.alertID), as: Alert.self) else {
            throw CreditRulesError("alert.unknown")
        }
        guard alert.acknowledgedBy == nil else { throw CreditRulesError("alert.already_acknowledged") }
        alert.acknowledgedBy = signer
        alert.acknowledgedAtMillis = now
        alert.note = a.note
        state.write(Keys.alert(a.alertID), alert)
    }

    /// Static checks of an action at proposal time.
    func validate(_ action: GovernanceAction) throws {
        switch action {
        case .addMember(let m):
            try m.validate()
            guard state.get(Keys.member(m.id)) == nil else { throw CreditRulesError("governance.member_exists") }
        case .removeMember(let id), .changeRole(let id, _), .rotateMemberKeys(let id, _, _, _):
            _ = try requireMember(id)
        case .setValidators(let h, let vs):
            guard h > context.height, !vs.isEmpty else {
                throw CreditRulesError("governance.bad_validator_set", "a non-empty set taking effect later")
            }
            guard Set(vs.map(\.member)).count == vs.count else {
                throw CreditRulesError("governance.bad_validator_set", "duplicate validator")
            }
        case .putDataType(let t, let publisher):
            try t.validate()
            _ = try requireMember(publisher)
        case .setParameter(let name, let value):
            var p = parameters
            try p.set(name, value)
        case .revokeCertificate(let issuer, let serial):
            guard !issuer.isEmpty, !serial.isEmpty else { throw CreditRulesError("governance.bad_certificate") }
        case .setPurposeRoles: break
        }
    }

    /// Applies an approved action.
    mutating func apply(_ action: GovernanceAction) throws {
        try validate(action)
        switch action {
        case .addMember(let m):
            var m = m
            m.status = .active
            state.write(Keys.member(m.id), m)
            addToMemberList(m.id)
        case .removeMember(let id):
            var m = try requireMember(id)
            m.status = .removed
            state.write(Keys.member(id), m)
        case .changeRole(let id, let role):
            var m = try requireMember(id)
            m.role = role
            state.write(Keys.member(id), m)
        case .rotateMemberKeys(let id, let signingKey, let encryptionKey, let tls):
            var m = try requireMember(id)
            m.signingKey = signingKey
            m.encryptionKey = encryptionKey
            m.tlsCertificateHash = tls
            try m.validate()
            state.write(Keys.member(id), m)
        case .setValidators(let h, let vs):
            pendingValidatorUpdates.append(ValidatorSetUpdate(effectiveHeight: h, validators: vs))
        case .putDataType(let t, let publisher):
            let suspended = state.read(Keys.type(t.code), as: DataTypeEntry.self)?.suspended ?? false
            state.write(Keys.type(t.code), DataTypeEntry(type: t, publisher: publisher, suspended: suspended))
            typeCache.removeAll(keepingCapacity: true)
            state.write(Keys.publisher(t.source), publisher)
        case .setParameter(let name, let value):
            var p = parameters
            try p.set(name, value)
            state.write(Keys.parameters, p)
        case .revokeCertificate(let issuer, let serial):
            pendingRevocations.append(RevokedCertificate(issuer: issuer, serial: serial))
        case .setPurposeRoles(let pr):
            state.write(Keys.purposes(pr.purpose), RoleList(pr.roles))
        }
    }

    mutating func addToMemberList(_ id: MemberID) {
        var ids = memberIDs()
        guard !ids.contains(id) else { return }
        ids.append(id)
        ids.sort()
        state.write(Keys.memberList, MemberList(ids: ids))
    }
}

/// Every member id, sorted (members are few; governance counts governing members from it).
struct MemberList: CanonicalCodable, Hashable {
    var ids: [MemberID]
    func encode(to e: inout CanonicalEncoder) { e.array(ids, max: CreditGenesis.membersMax) }
    init(ids: [MemberID]) { self.ids = ids }
    init(from d: inout CanonicalDecoder) throws { ids = try d.array("members", max: CreditGenesis.membersMax) }
}

extension Keys {
    static let memberList = StateKey("member-list").bytes
}

import ChainCore

// Objections and mediation (Art. 25): answered within 20 days of block time by correcting
// (a new linked version, notices to past recipients), annotating, or rejecting with reasons.
extension CreditRulesApplication {
    mutating func fileObjection(_ f: FileObjectionPayload, by signer: MemberID) throws {
        let body = f.body
        guard let record = state.read(Keys.record(body.record), as: RecordEntry.self) else {
            throw CreditRulesError("objection.unknown_record")
        }
        guard record.subject == body.subject else { throw CreditRulesError("objection.subject_mismatch") }
        guard body.version == record.version else {
            throw CreditRulesError("objection.stale_version", "object to the current version")
        }
        guard !body.reason.isEmpty else { throw CreditRulesError("objection.reason_missing") }
        let enterprise = try requireEnterprise(body.subject)
        try verifyEnterprise(
            f.signature, CreditDomains.objection, body.canonicalBytes, key: enterprise.publicKey,
            code: "objection.bad_signature")
        let nonceKey = Keys.objectionNonce(body.subject, body.nonce)
        guard state.get(nonceKey) == nil else { throw CreditRulesError("objection.replayed") }
        let id = nextID("objection")
        createdDetail = "objection \(id)"
        state.write(nonceKey, Counter(id))
        state.write(
            Keys.objection(id),
            Objection(
                id: id, body: body, filedBy: signer, publisher: record.publisher, filedAtMillis: now,
                deadlineMillis: now + parameters.objectionDeadlineMillis))
        appendAudit(
            subject: body.subject, actor: signer, action: .objectionFiled, purpose: nil, orderID: nil, consentID: nil,
            detail: "objection \(id) on \(body.record.typeCode)/\(body.record.recordID)")
    }

    mutating func answerObjection(_ a: AnswerObjectionPayload, by signer: MemberID) throws {
        guard var objection = state.read(Keys.objection(a.objectionID), as: Objection.self) else {
            throw CreditRulesError("objection.unknown")
        }
        guard objection.publisher == signer else {
            throw CreditRulesError("objection.not_publisher", "the record's source answers")
        }
        guard objection.status == .open else { throw CreditRulesError("objection.closed") }
        let ref = objection.body.record
        switch a.action {
        case .correct:
            guard let c = a.correction else { throw CreditRulesError("objection.correction_missing") }
            guard c.typeCode == ref.typeCode, c.recordID == ref.recordID, c.subject == objection.body.subject else {
                throw CreditRulesError("objection.correction_mismatch", "correct the contested record")
            }
            guard let old = state.read(Keys.record(ref), as: RecordEntry.self) else {
                throw CreditRulesError("objection.unknown_record")
            }
            try applyCommitment(c, by: signer, objectionID: a.objectionID)
            let recipients = state.read(Keys.recipients(ref), as: RecipientList.self)?.items ?? []
            var notified = Set<MemberID>()
            for r in recipients where r.version < c.version && notified.insert(r.bank).inserted {
                let seq = nextID("notice")
                state.write(
                    Keys.notice(seq),
                    CorrectionNotice(
                        sequence: seq, bank: r.bank, record: ref, oldVersion: old.version, newVersion: c.version,
                        objectionID: a.objectionID, timestampMillis: now))
                appendAudit(
                    subject: objection.body.subject, actor: signer, action: .correctionNotice, purpose: nil,
                    orderID: r.orderID, consentID: nil, detail: "notice \(seq) to \(r.bank.value)")
            }
            objection.status = .corrected
        case .annotate:
            guard !a.text.isEmpty else { throw CreditRulesError("objection.text_missing") }
            guard var record = state.read(Keys.record(ref), as: RecordEntry.self) else {
                throw CreditRulesError("objection.unknown_record")
            }
            guard record.annotations.count < RecordEntry.annotationsMax else {
                throw CreditRulesError("objection.too_many_annotations")
            }
            record.annotations.append(Annotation(objectionID: a.objectionID, text: a.text))
            state.write(Keys.record(ref), record)
            objection.status = .annotated
        case .reject:
            guard !a.text.isEmpty else {
                throw CreditRulesError("objection.reasons_missing", "a rejection gives reasons")
            }
            objection.status = .rejected
        }
        objection.answerText = a.text
        objection.answeredAtMillis = now
        state.write(Keys.objection(a.objectionID), objection)
        appendAudit(
            subject: objection.body.subject, actor: signer, action: .objectionAnswered, purpose: nil, orderID: nil,
            consentID: nil, detail: "objection \(a.objectionID): \(objection.status)")
    }

    mutating func openCase(_ o: OpenCasePayload, by signer: MemberID) throws {
        _ = try requireRole(signer, .mediator, code: "case.not_mediator")
        guard var objection = state.read(Keys.objection(o.objectionID), as: Objection.self) else {
            throw CreditRulesError("objection.unknown")
        }
        guard objection.caseID == nil else { throw CreditRulesError("case.already_open") }
        let id = nextID("case")
        createdDetail = "case \(id)"
        objection.caseID = id
        state.write(Keys.objection(o.objectionID), objection)
        state.write(
            Keys.mediationCase(id),
            MediationCase(id: id, objectionID: o.objectionID, mediator: signer, openedAtMillis: now))
        appendAudit(
            subject: objection.body.subject, actor: signer, action: .caseOpened, purpose: nil, orderID: nil,
            consentID: nil, detail: "case \(id) on objection \(o.objectionID)")
    }

    mutating func closeCase(_ c: CloseCasePayload, by signer: MemberID) throws {
        guard var mediation = state.read(Keys.mediationCase(c.caseID), as: MediationCase.self) else {
            throw CreditRulesError("case.unknown")
        }
        guard mediation.mediator == signer else {
            throw CreditRulesError("case.not_mediator", "not this case's mediator")
        }
        guard mediation.outcome == nil else { throw CreditRulesError("case.closed") }
        mediation.outcome = c.outcome
        mediation.text = c.text
        mediation.closedAtMillis = now
        state.write(Keys.mediationCase(c.caseID), mediation)
        if let objection = state.read(Keys.objection(mediation.objectionID), as: Objection.self) {
            appendAudit(
                subject: objection.body.subject, actor: signer, action: .caseClosed, purpose: nil, orderID: nil,
                consentID: nil, detail: "case \(c.caseID): outcome \(c.outcome.rawValue)")
        }
    }
}

extension ObjectionStatus: CustomStringConvertible {
    public var description: String {
        switch self {
        case .open: return "open"
        case .corrected: return "corrected"
        case .annotated: return "annotated"
        case .rejected: return "rejected"
        }
    }
}

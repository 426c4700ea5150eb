import ChainCore

// Consents (Art. 13, 18): granted by the enterprise's signature, bounded in time and scope,
// never replayed, revocable by the enterprise.
extension CreditRulesApplication {
    mutating func grantConsent(_ g: GrantConsentPayload, by signer: MemberID) throws {
        let body = g.body
        let enterprise = try requireEnterprise(body.subject)
        try verifyEnterprise(
            g.signature, CreditDomains.consent, body.canonicalBytes, key: enterprise.publicKey,
            code: "consent.bad_signature")
        guard state.read(Keys.member(body.bank), as: Member.self) != nil else {
            throw CreditRulesError("consent.unknown_bank", "the consent names no member")
        }
        guard body.validUntilMillis > body.validFromMillis else {
            throw CreditRulesError("consent.bad_validity", "valid until must follow valid from")
        }
        guard body.validUntilMillis - body.validFromMillis <= parameters.consentMaxValidityMillis else {
            throw CreditRulesError("consent.validity_too_long", "longer than the maximum validity")
        }
        guard body.validUntilMillis > now else { throw CreditRulesError("consent.expired", "already expired") }
        guard !body.categories.isEmpty || !body.types.isEmpty else {
            throw CreditRulesError("consent.empty_scope", "a consent names categories or types")
        }
        for c in body.categories where !DataType.categories.contains(c) {
            throw CreditRulesError("consent.bad_scope", "unknown category")
        }
        for t in body.types where state.get(Keys.type(t)) == nil {
            throw CreditRulesError("consent.bad_scope", "unknown type \(t)")
        }
        let id = body.id(using: hasher)
        createdDetail = "consent \(id.hex)"
        let nonceKey = Keys.consentNonce(body.subject, body.nonce)
        guard state.get(nonceKey) == nil, state.get(Keys.consent(id)) == nil else {
            throw CreditRulesError("consent.replayed", "the nonce was already used")
        }
        state.write(nonceKey, id)
        state.write(
            Keys.consent(id),
            ConsentEntry(id: id, body: body, signature: g.signature, registeredBy: signer, registeredAtMillis: now))
        appendAudit(
            subject: body.subject, actor: signer, action: .consentGranted, purpose: body.purpose, orderID: nil,
            consentID: id, detail: "bank \(body.bank.value)")
    }

    mutating func revokeConsent(_ r: RevokeConsentPayload, by signer: MemberID) throws {
        let rev = r.revocation
        guard var consent = state.read(Keys.consent(rev.consentID), as: ConsentEntry.self) else {
            throw CreditRulesError("consent.unknown")
        }
        guard consent.body.subject == rev.subject else { throw CreditRulesError("consent.subject_mismatch") }
        let enterprise = try requireEnterprise(rev.subject)
        try verifyEnterprise(
            r.signature, CreditDomains.consentRevocation, rev.canonicalBytes, key: enterprise.publicKey,
            code: "consent.bad_signature")
        guard consent.revokedAtMillis == nil else { throw CreditRulesError("consent.already_revoked") }
        consent.revokedAtMillis = now
        state.write(Keys.consent(rev.consentID), consent)
        appendAudit(
            subject: rev.subject, actor: signer, action: .consentRevoked, purpose: consent.body.purpose, orderID: nil,
            consentID: rev.consentID, detail: "")
    }

    /// The consent verdict for an order: valid now, for this bank and purpose, not revoked.
    func checkConsent(_ consent: ConsentEntry, bank: MemberID, purpose: Purpose) throws {
        guard consent.body.bank == bank else { throw CreditRulesError("consent.wrong_bank", "issued to another bank") }
        guard consent.revokedAtMillis == nil else { throw CreditRulesError("consent.revoked") }
        guard now >= consent.body.validFromMillis else { throw CreditRulesError("consent.not_yet_valid") }
        guard now < consent.body.validUntilMillis else { throw CreditRulesError("consent.expired") }
        guard consent.body.purpose == purpose else {
            throw CreditRulesError("consent.purpose_mismatch", "the order's purpose is not the consent's")
        }
    }
}

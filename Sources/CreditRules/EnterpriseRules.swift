import ChainCore

// Enterprise identity: registrars bind an enterprise's key to its pseudonym; the enterprise
// rotates it with its current key. The USCC never reaches the chain.
extension CreditRulesApplication {
    mutating func registerEnterprise(_ r: RegisterEnterprisePayload, by signer: MemberID) throws {
        let m = try requireMember(signer)
        guard m.registrar else { throw CreditRulesError("enterprise.not_registrar", "only registrars register keys") }
        guard !r.publicKey.isEmpty else { throw CreditRulesError("enterprise.bad_key") }
        let key = Keys.enterprise(r.subject)
        let existing = state.read(key, as: EnterpriseEntry.self)
        if existing != nil && !r.replace { throw CreditRulesError("enterprise.already_registered") }
        if existing == nil && r.replace { throw CreditRulesError("enterprise.unknown") }
        state.write(
            key,
            EnterpriseEntry(
                subject: r.subject, publicKey: r.publicKey, keyVersion: (existing?.keyVersion ?? 0) + 1,
                registeredBy: signer, updatedAtMillis: now))
    }

    mutating func rotateEnterpriseKey(_ r: RotateEnterpriseKeyPayload, by signer: MemberID) throws {
        let rot = r.rotation
        guard let e = state.read(Keys.enterprise(rot.subject), as: EnterpriseEntry.self) else {
            throw CreditRulesError("enterprise.unknown")
        }
        guard rot.keyVersion == e.keyVersion + 1 else {
            throw CreditRulesError("enterprise.bad_key_version", "expected the current version + 1")
        }
        guard !rot.newPublicKey.isEmpty else { throw CreditRulesError("enterprise.bad_key") }
        try verifyEnterprise(
            r.signature, CreditDomains.enterpriseKey, rot.canonicalBytes, key: e.publicKey,
            code: "enterprise.bad_signature")
        state.write(
            Keys.enterprise(rot.subject),
            EnterpriseEntry(
                subject: rot.subject, publicKey: rot.newPublicKey, keyVersion: rot.keyVersion,
                registeredBy: e.registeredBy,
                updatedAtMillis: now))
    }

    func verifyEnterprise(
        _ signature: [UInt8], _ domain: Domain, _ canonical: [UInt8], key: [UInt8], code: String
    ) throws {
        guard
            verifier.verify(
                signature: signature, domain: domain, chainID: context.chainID, canonical: canonical, publicKey: key)
        else { throw CreditRulesError(code, "the enterprise signature does not verify") }
    }

    func requireEnterprise(_ subject: Hash) throws -> EnterpriseEntry {
        guard let e = state.read(Keys.enterprise(subject), as: EnterpriseEntry.self) else {
            throw CreditRulesError("enterprise.unknown", "no key registered for the subject")
        }
        return e
    }
}

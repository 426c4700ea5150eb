import ChainCore
import Ledger
import Testing

@testable import CreditRules

@Suite struct ConsentRulesTests {
    let acme = TestEnterprise(uscc: "91440101MA5CYNP25X", seed: 1)
    let mallory = TestEnterprise(uscc: "91440300MA5FAKE01X", seed: 9)

    /// Art. 13: the subject's signed consent is registered with its audit entry.
    @Test func signedConsentIsRegisteredAndAudited() throws {
        var f = Fixture()
        f.register(acme)
        let id = f.consent(acme, f.consentBody(acme, categories: ["business"]))
        let c = try #require(f.app.consent(id))
        #expect(c.body.bank == Fixture.bankA && c.revokedAtMillis == nil)
        let log = f.app.auditLog(acme.subject)
        #expect(log.map(\.action) == [.consentGranted])
        #expect(log[0].consentID == id && log[0].actor == Fixture.bankA)
    }

    @Test func unregisteredEnterpriseCannotConsent() {
        var f = Fixture()
        let body = f.consentBody(acme, categories: ["business"])
        #expect(f.run(Fixture.bankA, f.grant(acme, body)) == "enterprise.unknown")
    }

    /// A forged consent (signed by another key) fails.
    @Test func forgedConsentFails() {
        var f = Fixture()
        f.register(acme)
        let body = f.consentBody(acme, categories: ["business"])
        let forged = GrantConsentPayload(
            body: body, signature: mallory.sign(CreditDomains.consent, body.canonicalBytes, chainID: Fixture.chainID))
        #expect(f.run(Fixture.bankA, forged) == "consent.bad_signature")
        // A signature for another chain is not valid here either (domain separation).
        let otherChain = GrantConsentPayload(
            body: body,
            signature: acme.sign(
                CreditDomains.consent, body.canonicalBytes, chainID: ChainID(Hash(w0: 9, w1: 9, w2: 9, w3: 9))))
        #expect(f.run(Fixture.bankA, otherChain) == "consent.bad_signature")
    }

    /// A replayed consent (same nonce) fails.
    @Test func replayedConsentFails() {
        var f = Fixture()
        f.register(acme)
        let body = f.consentBody(acme, categories: ["business"])
        #expect(f.run(Fixture.bankA, f.grant(acme, body)) == "ok")
        #expect(f.run(Fixture.bankB, f.grant(acme, body)) == "consent.replayed")
        var sameNonce = body
        sameNonce.types = ["TAX-CRD-001"]
        #expect(f.run(Fixture.bankA, f.grant(acme, sameNonce)) == "consent.replayed")
    }

    /// Validity is bounded by the maximum-validity parameter and must not be over already.
    @Test func validityIsBounded() {
        var f = Fixture()
        f.register(acme)
        let tooLong = f.consentBody(acme, categories: ["business"], until: f.time + 400 * Fixture.day)
        #expect(f.run(Fixture.bankA, f.grant(acme, tooLong)) == "consent.validity_too_long")
        let past = f.consentBody(
            acme, categories: ["business"], from: f.time - 10 * Fixture.day, until: f.time - Fixture.day, nonce: 2)
        #expect(f.run(Fixture.bankA, f.grant(acme, past)) == "consent.expired")
        let inverted = f.consentBody(
            acme, categories: ["business"], from: f.time + Fixture.day, until: f.time, nonce: 3)
        #expect(f.run(Fixture.bankA, f.grant(acme, inverted)) == "consent.bad_validity")
        let empty = f.consentBody(acme, nonce: 4)
        #expect(f.run(Fixture.bankA, f.grant(acme, empty)) == "consent.empty_scope")
        let unknown = f.consentBody(acme, types: ["NOPE-001"], nonce: 5)
        #expect(f.run(Fixture.bankA, f.grant(acme, unknown)) == "consent.bad_scope")
    }

    /// The enterprise revokes; a revoked consent no longer supports orders (Art. 13).
    @Test func revocationByTheEnterprise() throws {
        var f = Fixture()
        f.register(acme)
        let id = f.consent(acme, f.consentBody(acme, categories: ["business"]))
        let rev = ConsentRevocation(consentID: id, subject: acme.subject)
        let forged = RevokeConsentPayload(
            revocation: rev,
            signature: mallory.sign(CreditDomains.consentRevocation, rev.canonicalBytes, chainID: Fixture.chainID))
        #expect(f.run(Fixture.bankA, forged) == "consent.bad_signature")
        let signed = RevokeConsentPayload(
            revocation: rev,
            signature: acme.sign(CreditDomains.consentRevocation, rev.canonicalBytes, chainID: Fixture.chainID))
        #expect(f.run(Fixture.bankA, signed) == "ok")
        #expect(f.app.consent(id)?.revokedAtMillis != nil)
        #expect(f.run(Fixture.bankB, signed) == "consent.already_revoked")
        let order = PlaceOrderPayload(
            consentID: id, purpose: .loanApplication, loanReference: "L-1", types: ["AMR-ANF-001"])
        #expect(f.run(Fixture.bankA, order) == "consent.revoked")
    }

    /// An enterprise rotates its key with its current key; old-key signatures then fail.
    @Test func enterpriseKeyRotation() {
        var f = Fixture()
        f.register(acme)
        let newKey = TestEnterprise(uscc: acme.uscc, seed: 42)
        let rot = EnterpriseKeyRotation(subject: acme.subject, newPublicKey: newKey.publicKey, keyVersion: 2)
        let bad = RotateEnterpriseKeyPayload(
            rotation: rot,
            signature: newKey.sign(CreditDomains.enterpriseKey, rot.canonicalBytes, chainID: Fixture.chainID))
        #expect(f.run(Fixture.bankA, bad) == "enterprise.bad_signature")
        let good = RotateEnterpriseKeyPayload(
            rotation: rot,
            signature: acme.sign(CreditDomains.enterpriseKey, rot.canonicalBytes, chainID: Fixture.chainID))
        #expect(f.run(Fixture.bankA, good) == "ok")
        #expect(f.run(Fixture.bankB, good) == "enterprise.bad_key_version")
        #expect(
            f.run(Fixture.bankA, f.grant(acme, f.consentBody(acme, categories: ["basic"]))) == "consent.bad_signature")
        #expect(f.run(Fixture.bankA, f.grant(newKey, f.consentBody(newKey, categories: ["basic"]))) == "ok")
    }

    /// Only registrars register enterprise keys; re-registration needs `replace`.
    @Test func registrarsRegisterKeys() {
        var f = Fixture()
        #expect(
            f.run(Fixture.bankA, RegisterEnterprisePayload(subject: acme.subject, publicKey: acme.publicKey))
                == "enterprise.not_registrar")
        #expect(
            f.run(Fixture.bureauA, RegisterEnterprisePayload(subject: acme.subject, publicKey: acme.publicKey)) == "ok")
        #expect(
            f.run(Fixture.hub, RegisterEnterprisePayload(subject: acme.subject, publicKey: acme.publicKey))
                == "enterprise.already_registered")
        #expect(
            f.run(
                Fixture.hub,
                RegisterEnterprisePayload(subject: acme.subject, publicKey: mallory.publicKey, replace: true)) == "ok")
        #expect(f.app.enterprise(acme.subject)?.keyVersion == 2)
    }
}

import ChainCore
import Ledger
import Testing

@testable import CreditRules

/// The USCC never appears on chain: only its keyed pseudonym does (architecture.md, "Pseudonyms").
@Suite struct PrivacyTests {
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return true }
        }
        return false
    }

    @Test func usccNeverAppearsInStateWritesOrResults() {
        let acme = TestEnterprise(uscc: "91440101MA5CYNP25X", seed: 1)
        var f = Fixture()
        var outputs: [[UInt8]] = []
        func record(_ e: BlockExecution) {
            for w in e.writes {
                outputs.append(w.key)
                if let v = w.value { outputs.append(v) }
            }
            for r in e.results { outputs.append(Array((r.code + r.detail).utf8)) }
        }
        record(
            f.block([f.tx(Fixture.hub, RegisterEnterprisePayload(subject: acme.subject, publicKey: acme.publicKey))]))
        let items = [
            Fixture.commitment(acme, type: "AMR-REG-001", record: "reg-1"),
            Fixture.commitment(acme, type: "AMR-ABN-001", record: "abn-1", start: dayOf(2024, 1, 1), negative: true),
        ]
        record(f.block([f.tx(Fixture.hub, PublishCommitmentsPayload(items: items))]))
        let body = f.consentBody(acme, categories: ["basic", "warning"])
        record(f.block([f.tx(Fixture.bankA, f.grant(acme, body))]))
        let cid = body.id(using: TestHasher())
        record(
            f.block([
                f.tx(
                    Fixture.bankA,
                    PlaceOrderPayload(
                        consentID: cid, purpose: .loanApplication, loanReference: "LA-1",
                        types: ["AMR-REG-001", "AMR-ABN-001"])),
                f.tx(
                    Fixture.bankB,
                    PlaceOrderPayload(
                        consentID: cid, purpose: .loanApplication, loanReference: "LA-2", types: ["AMR-REG-001"])),
            ]))
        let uscc = Array(acme.uscc.utf8)
        #expect(!outputs.isEmpty)
        for o in outputs { #expect(!Self.contains(o, uscc)) }
        for (k, v) in f.app.state.entries() {
            #expect(!Self.contains(k, uscc))
            #expect(!Self.contains(v, uscc))
        }
        // The canary is effective: the pseudonym itself is on chain.
        #expect(f.app.state.entries().contains { Self.contains($0.key, acme.subject.bytes) })
    }
}

import API
import ChainCore
import Foundation
import Ledger
import Testing

@Suite struct TransactionFormTests {
    @Test func roundTripsAnEnvelopeWithSnakeCaseKeys() throws {
        let envelope = try sampleEnvelope()
        let json = try JSONEncoder().encode(TransactionForm(envelope))
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(Set(object.keys) == ["suite", "signer", "unique_id", "expiry", "kind", "payload", "signature"])
        #expect(object["unique_id"] as? String == String(repeating: "07", count: 16))
        let decoded = try JSONDecoder().decode(TransactionForm.self, from: json).envelope()
        #expect(decoded == envelope)
        #expect(decoded.canonicalBytes == envelope.canonicalBytes)
    }

    @Test func checksEveryFieldBeforeBuilding() throws {
        let valid = TransactionForm(try sampleEnvelope())
        var cases: [(TransactionForm, String)] = []
        var form = valid
        form.suite = "rsa"
        cases.append((form, "suite"))
        form = valid
        form.signer = "Bank A"
        cases.append((form, "signer"))
        form = valid
        form.payload = "0g"
        cases.append((form, "payload"))
        form = valid
        form.signature = String(repeating: "00", count: TransactionEnvelope.signatureMax + 1)
        cases.append((form, "signature"))
        form = valid
        form.payload = String(repeating: "00", count: TransactionEnvelope.payloadMax + 1)
        cases.append((form, "payload"))
        for (form, field) in cases {
            let error = try #require(throws: APIError.self) { try form.envelope() }
            #expect(error.code == "tx.malformed")
            #expect(error.detail.hasPrefix(field))
        }
    }
}

@Suite struct DTOConversionTests {
    @Test func committedViewCarriesHexAndResult() throws {
        let hash = try Hash(bytes: [UInt8](repeating: 0xab, count: 32))
        let root = try Hash(bytes: [UInt8](repeating: 0x01, count: 32))
        let view = TransactionView.committed(
            hash, height: Height(9), index: 2, result: TransactionResult(code: "consent.expired", detail: "ended"),
            proof: InclusionProofView(leafIndex: 2, treeSize: 3, path: [root], root: root))
        #expect(view.hash == String(repeating: "ab", count: 32))
        #expect(view.status == .committed && view.height == 9 && view.index == 2)
        #expect(view.result == ResultView(code: "consent.expired", detail: "ended"))
        #expect(view.proof?.path == [String(repeating: "01", count: 32)])
        let validator = ValidatorView(Validator(member: try MemberID("val-1"), publicKey: [0x00, 0xff]))
        #expect(validator == ValidatorView(member: "val-1", publicKey: "00ff"))
    }
}

import ChainCore
import Foundation
import Ledger

/// The JSON form of a signed `TransactionEnvelope`: the same fields, binary ones in hex. It
/// decodes to exactly the envelope whose canonical bytes the binary form carries, so both forms
/// of one transaction have one hash.
public struct TransactionForm: Codable, Hashable, Sendable {
    /// `standard` or `gm`.
    public var suite: String
    public var signer: String
    /// 16 bytes, hex.
    public var uniqueID: String
    public var expiry: UInt64
    public var kind: UInt16
    /// Canonical payload bytes, hex.
    public var payload: String
    public var signature: String

    public init(_ envelope: TransactionEnvelope) {
        suite = envelope.suite.name
        signer = envelope.signer.value
        uniqueID = Hex.encode(envelope.uniqueID)
        expiry = envelope.expiry.value
        kind = envelope.kind
        payload = Hex.encode(envelope.payload)
        signature = Hex.encode(envelope.signature)
    }

    enum CodingKeys: String, CodingKey {
        case suite, signer
        case uniqueID = "unique_id"
        case expiry, kind, payload, signature
    }

    /// The envelope, every field checked against the envelope's limits before it is built.
    public func envelope() throws -> TransactionEnvelope {
        guard let suite = SuiteID(name: suite) else { throw Self.malformed("suite", "expected standard or gm") }
        let signer: MemberID
        do { signer = try MemberID(self.signer) } catch let error as ChainCoreError {
            throw Self.malformed("signer", error.reason)
        }
        let uniqueID = try Self.hex(self.uniqueID, "unique_id", max: TransactionEnvelope.uniqueIDLength)
        guard uniqueID.count == TransactionEnvelope.uniqueIDLength else {
            throw Self.malformed("unique_id", "expected \(TransactionEnvelope.uniqueIDLength) bytes")
        }
        let payload = try Self.hex(payload, "payload", max: TransactionEnvelope.payloadMax)
        let signature = try Self.hex(signature, "signature", max: TransactionEnvelope.signatureMax)
        return TransactionEnvelope(
            suite: suite, signer: signer, uniqueID: uniqueID, expiry: Height(expiry), kind: kind, payload: payload,
            signature: signature)
    }

    /// Decodes a request body by its media type: `application/octet-stream` is the canonical
    /// envelope, `application/json` this form. Returns the envelope and its canonical bytes.
    static func decodeBody(_ body: [UInt8], contentType: String?) throws -> (TransactionEnvelope, [UInt8]) {
        let mediaType = contentType?.split(separator: ";").first?.trimmingOptionalWhitespace().lowercased()
        switch mediaType {
        case "application/octet-stream":
            do {
                // Canonical decoding accepts only canonical bytes, so the body is the canonical encoding.
                return (try TransactionEnvelope(canonicalBytes: body), body)
            } catch let error as ChainCoreError {
                throw APIError(SubmissionRejection.malformed(error.description))
            }
        case "application/json":
            let form: TransactionForm
            do { form = try JSONDecoder().decode(TransactionForm.self, from: Data(body)) } catch {
                throw APIError.badJSON(Self.describe(error))
            }
            let envelope = try form.envelope()
            return (envelope, envelope.canonicalBytes)
        default:
            throw APIError.unsupportedMediaType(contentType)
        }
    }

    private static func hex(_ string: String, _ field: String, max: Int) throws -> [UInt8] {
        // Checked before decoding so an oversize field is never materialised.
        guard string.utf8.count <= 2 * max else { throw malformed(field, "longer than \(max) bytes") }
        guard let bytes = Hex.decode(string) else { throw malformed(field, "not hexadecimal") }
        return bytes
    }

    private static func malformed(_ field: String, _ reason: String) -> APIError {
        APIError(SubmissionRejection.malformed("\(field): \(reason)"))
    }

    /// Names the failing field without echoing any value of the body.
    private static func describe(_ error: any Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context): return "wrong type at \(path(context))"
        case DecodingError.valueNotFound(_, let context): return "null at \(path(context))"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "invalid value at \(path(context))"
        default: return "not a transaction form"
        }
    }
}

import ChainCore

/// A signed transaction: a member's envelope around an application payload.
///
/// The signature covers `DomainSeparation.signingBytes(.transaction, chainID, signedBytes)`, where
/// `signedBytes` is the canonical encoding of every field but the signature. Replay protection is
/// the `uniqueID` (never accepted twice while unexpired) plus `expiry` (not valid after that height).
public struct TransactionEnvelope: Hashable, Sendable, CanonicalCodable {
    public static let uniqueIDLength = 16
    public static let payloadMax = 1 << 20
    public static let signatureMax = 128

    public var suite: SuiteID
    public var signer: MemberID
    /// 16 random bytes chosen by the signer.
    public var uniqueID: [UInt8]
    /// Last height at which the transaction may be included.
    public var expiry: Height
    /// Application-defined payload kind (CreditRules defines its table).
    public var kind: UInt16
    /// Canonical payload bytes of that kind.
    public var payload: [UInt8]
    public var signature: [UInt8]

    public init(
        suite: SuiteID, signer: MemberID, uniqueID: [UInt8], expiry: Height, kind: UInt16, payload: [UInt8],
        signature: [UInt8] = []
    ) {
        precondition(uniqueID.count == TransactionEnvelope.uniqueIDLength, "unique id must be 16 bytes")
        self.suite = suite
        self.signer = signer
        self.uniqueID = uniqueID
        self.expiry = expiry
        self.kind = kind
        self.payload = payload
        self.signature = signature
    }

    /// The canonical bytes the signature covers (everything but the signature).
    public var signedBytes: [UInt8] {
        var e = CanonicalEncoder(reservingCapacity: 64 + payload.count)
        encodeUnsigned(to: &e)
        return e.bytes
    }

    private func encodeUnsigned(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(suite)
        e.value(signer)
        e.raw(uniqueID)
        e.value(expiry)
        e.u16(kind)
        e.lengthPrefixed(payload, max: TransactionEnvelope.payloadMax)
    }

    public func encode(to e: inout CanonicalEncoder) {
        encodeUnsigned(to: &e)
        e.lengthPrefixed(signature, max: TransactionEnvelope.signatureMax)
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("envelope.version", supported: 1...1)
        suite = try d.value()
        signer = try d.value()
        uniqueID = try d.raw(TransactionEnvelope.uniqueIDLength, "envelope.unique_id")
        expiry = try d.value()
        kind = try d.u16("envelope.kind")
        payload = try d.lengthPrefixed("envelope.payload", max: TransactionEnvelope.payloadMax)
        signature = try d.lengthPrefixed("envelope.signature", max: TransactionEnvelope.signatureMax)
    }

    /// Signs in place with the member's signer.
    public mutating func sign(with signer: any ChainSigner, chainID: ChainID) throws {
        signature = try signer.sign(.transaction, chainID: chainID, signedBytes)
    }

    /// True when the signature verifies under `publicKey`.
    public func verifySignature(with verifier: any ChainVerifier, chainID: ChainID, publicKey: [UInt8]) -> Bool {
        verifier.suite == suite
            && verifier.verify(
                signature: signature, domain: .transaction, chainID: chainID, canonical: signedBytes,
                publicKey: publicKey)
    }

    /// The transaction hash: H("creditchain/txhash/v1", canonical envelope with signature).
    public func hash(using hasher: any ChainHasher) -> Hash {
        hasher.hash(TransactionEnvelope.hashDomain, canonicalBytes)
    }

    public static let hashDomain = Domain("creditchain/txhash/v1")
}

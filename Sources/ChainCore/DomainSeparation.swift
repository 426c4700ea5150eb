/// A domain-separation string `creditchain/<purpose>/v<N>` (ASCII, at most 255 bytes).
/// Every hash and signature in the system names its domain, so bytes made for one purpose are
/// never valid for another.
public struct Domain: Hashable, Sendable, CustomStringConvertible {
    public let value: String
    /// len(d) as one byte ‖ ASCII(d), computed once: it starts every hash input of the domain.
    public let prefix: [UInt8]

    /// Checked at creation: a malformed domain is a programming error.
    public init(_ value: StaticString) {
        let s = value.description
        precondition(Domain.isWellFormed(s), "malformed domain string \(s)")
        self.value = s
        prefix = Domain.prefix(of: s)
    }

    /// Runtime construction (e.g. from a test); throws on malformed input.
    public init(validating s: String) throws {
        guard Domain.isWellFormed(s) else {
            throw ChainCoreError(code: "domain.malformed", reason: "expected creditchain/<purpose>/v<N>: \(s)")
        }
        value = s
        prefix = Domain.prefix(of: s)
    }

    private static func prefix(of s: String) -> [UInt8] {
        let utf8 = Array(s.utf8)
        return [UInt8(utf8.count)] + utf8
    }

    static func isWellFormed(_ s: String) -> Bool {
        let utf8 = Array(s.utf8)
        guard utf8.count <= 255, utf8.allSatisfy({ $0 >= 0x21 && $0 < 0x7f }) else { return false }
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "creditchain", !parts[1].isEmpty, parts[2].hasPrefix("v") else {
            return false
        }
        let n = parts[2].dropFirst()
        return !n.isEmpty && n.allSatisfy { $0.isASCII && $0.isNumber }
    }

    public var description: String { value }

    // The domains the shared formats use (architecture.md, "Decisions").
    public static let genesis = Domain("creditchain/genesis/v1")
    public static let record = Domain("creditchain/record/v1")
    public static let subject = Domain("creditchain/subject/v1")
    public static let delivery = Domain("creditchain/delivery/v1")
    public static let transaction = Domain("creditchain/transaction/v1")
    /// A member's TLS certificate (DER) as the credit rules bind it to the member.
    public static let tlsCertificate = Domain("creditchain/tls-certificate/v1")
}

/// A hash function of a suite (SHA-256 or SM3). Implemented in ChainCrypto.
public protocol ChainHasher: Sendable {
    /// The plain digest of `data`.
    func digest(_ data: [UInt8]) -> Hash
    /// The digest of `head ‖ tail`; a hasher that can stream overrides it to skip the copy.
    func digest(_ head: [UInt8], _ tail: [UInt8]) -> Hash
}

extension ChainHasher {
    public func digest(_ head: [UInt8], _ tail: [UInt8]) -> Hash { digest(head + tail) }

    /// H(d, m) = hash(len(d) ‖ ASCII(d) ‖ m).
    public func hash(_ domain: Domain, _ message: [UInt8]) -> Hash {
        digest(domain.prefix, message)
    }
}

/// The exact byte strings that are hashed or signed (architecture.md, "Decisions").
public enum DomainSeparation {
    /// len(d) ‖ ASCII(d) ‖ m — the input of H(d, m).
    public static func hashInput(_ domain: Domain, _ message: [UInt8]) -> [UInt8] {
        var out = domain.prefix
        out.append(contentsOf: message)
        return out
    }

    /// len(d) ‖ ASCII(d) ‖ chain id ‖ canonical bytes — what every signature covers.
    public static func signingBytes(_ domain: Domain, chainID: ChainID, _ canonical: [UInt8]) -> [UInt8] {
        var out = domain.prefix
        out.reserveCapacity(out.count + 32 + canonical.count)
        chainID.hash.appendBytes(to: &out)
        out.append(contentsOf: canonical)
        return out
    }
}

/// Produces signatures in the consortium's suite. Implemented in ChainCrypto.
public protocol ChainSigner: Sendable {
    var suite: SuiteID { get }
    /// The raw public key bytes (Ed25519: 32 bytes; SM2: 65 bytes 04‖x‖y).
    var publicKey: [UInt8] { get }
    /// Signs `message` (the scheme hashes internally).
    func sign(_ message: [UInt8]) throws -> [UInt8]
}

extension ChainSigner {
    /// Signs the domain-separated bytes for `chainID`.
    public func sign(_ domain: Domain, chainID: ChainID, _ canonical: [UInt8]) throws -> [UInt8] {
        try sign(DomainSeparation.signingBytes(domain, chainID: chainID, canonical))
    }
}

/// Verifies signatures of one suite. Verification is deterministic.
public protocol ChainVerifier: Sendable {
    var suite: SuiteID { get }
    func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool
}

extension ChainVerifier {
    public func verify(
        signature: [UInt8], domain: Domain, chainID: ChainID, canonical: [UInt8], publicKey: [UInt8]
    ) -> Bool {
        verify(
            signature: signature, message: DomainSeparation.signingBytes(domain, chainID: chainID, canonical),
            publicKey: publicKey)
    }
}

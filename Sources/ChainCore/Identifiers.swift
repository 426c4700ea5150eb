/// A block height. Genesis state is height 0; the first block is height 1.
public struct Height: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public static func < (a: Height, b: Height) -> Bool { a.value < b.value }
    public var description: String { String(value) }
    public func encode(to e: inout CanonicalEncoder) { e.u64(value) }
    public init(from d: inout CanonicalDecoder) throws { value = try d.u64("height") }
    public var next: Height { Height(value + 1) }
}

/// A consensus round (view) number.
public struct Round: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public static func < (a: Round, b: Round) -> Bool { a.value < b.value }
    public var description: String { String(value) }
    public func encode(to e: inout CanonicalEncoder) { e.u64(value) }
    public init(from d: inout CanonicalDecoder) throws { value = try d.u64("round") }
    public var next: Round { Round(value + 1) }
}

/// A consortium member's identifier: 1–64 characters of `a-z`, `0-9` and `-`, starting with a
/// letter or digit (it appears in certificates as `creditchain:member:<id>` and in logs).
public struct MemberID: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    public static let maxLength = 64
    public let value: String

    public init(_ value: String) throws {
        let utf8 = Array(value.utf8)
        guard !utf8.isEmpty, utf8.count <= MemberID.maxLength else {
            throw ChainCoreError(code: "member_id.bad_length", reason: "a member id has 1 to 64 characters")
        }
        for (i, c) in utf8.enumerated() {
            let ok =
                (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
                || (c == UInt8(ascii: "-") && i > 0)
            guard ok else {
                throw ChainCoreError(
                    code: "member_id.bad_character", reason: "a member id uses a-z, 0-9 and '-' (not first): \(value)")
            }
        }
        self.value = value
    }

    public static func < (a: MemberID, b: MemberID) -> Bool { a.value < b.value }
    public var description: String { value }
    public func encode(to e: inout CanonicalEncoder) { e.string(value, max: MemberID.maxLength) }
    public init(from d: inout CanonicalDecoder) throws {
        let s = try d.string("member_id", max: MemberID.maxLength)
        do { try self.init(s) } catch let error as ChainCoreError {
            throw ChainCoreError(code: "codec.invalid_value", field: "member_id", reason: error.reason)
        }
    }
}

/// The chain id: H("creditchain/genesis/v1", canonical genesis without the chain-id field).
public struct ChainID: Hashable, Sendable, CanonicalCodable, CustomStringConvertible {
    public let hash: Hash
    public init(_ hash: Hash) { self.hash = hash }
    public var description: String { hash.hex }
    public func encode(to e: inout CanonicalEncoder) { e.hash(hash) }
    public init(from d: inout CanonicalDecoder) throws { hash = try d.hash("chain_id") }
}

extension Hash: CanonicalCodable {
    public func encode(to e: inout CanonicalEncoder) { e.hash(self) }
    public init(from d: inout CanonicalDecoder) throws { self = try d.hash("hash") }
}

/// The cryptographic suite a consortium chose at genesis.
public enum SuiteID: UInt8, Sendable, CaseIterable, CanonicalCodable, CustomStringConvertible {
    /// Ed25519, SHA-256, HPKE (X25519, HKDF-SHA256, AES-128-GCM), AES-256-GCM at rest.
    case standard = 1
    /// SM2 (with distinguishing ID), SM3, SM4-CTR + HMAC-SM3, SM2 encryption.
    case gm = 2

    public var name: String {
        switch self {
        case .standard: return "standard"
        case .gm: return "gm"
        }
    }

    public init?(name: String) {
        guard let s = SuiteID.allCases.first(where: { $0.name == name }) else { return nil }
        self = s
    }

    public var description: String { name }
    public func encode(to e: inout CanonicalEncoder) { e.u8(rawValue) }
    public init(from d: inout CanonicalDecoder) throws { self = try d.tag("suite") }
}

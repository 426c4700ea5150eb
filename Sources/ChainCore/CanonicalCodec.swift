/// A value with exactly one canonical byte encoding (see docs/encoding.md).
///
/// `encode(to:)` writes the canonical bytes; `init(from:)` accepts only canonical bytes, so
/// `encode(decode(b)) == b` for every accepted `b`.
public protocol CanonicalCodable: Sendable {
    func encode(to encoder: inout CanonicalEncoder)
    init(from decoder: inout CanonicalDecoder) throws
}

extension CanonicalCodable {
    /// The canonical bytes of this value.
    public var canonicalBytes: [UInt8] {
        var encoder = CanonicalEncoder()
        encode(to: &encoder)
        return encoder.bytes
    }

    /// Decodes a whole byte string; trailing bytes are an error.
    public init<C: Collection>(canonicalBytes bytes: C) throws where C.Element == UInt8 {
        var decoder = CanonicalDecoder(Array(bytes))
        try self.init(from: &decoder)
        try decoder.finish()
    }
}

/// Appends canonical encodings: big-endian fixed-width integers, u32 length prefixes,
/// 0/1 tags for optionals and booleans, u8 tags for enums.
public struct CanonicalEncoder: Sendable {
    public private(set) var bytes: [UInt8]

    public init(reservingCapacity capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    public mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    public mutating func u32(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift)))
        }
    }

    public mutating func u64(_ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift)))
        }
    }

    /// Two's-complement big-endian 8 bytes.
    public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }

    public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }

    /// A version byte at the start of a versioned structure.
    public mutating func version(_ v: UInt8) { bytes.append(v) }

    /// Exactly 32 raw bytes.
    public mutating func hash(_ h: Hash) { h.appendBytes(to: &bytes) }

    /// Raw bytes with no prefix (fixed-size fields only).
    public mutating func raw<C: Collection>(_ data: C) where C.Element == UInt8 { bytes.append(contentsOf: data) }

    /// u32 length ‖ bytes. The caller guarantees the length is within the field's limit
    /// (a precondition: encoding an over-limit value is a bug, never a user error).
    public mutating func lengthPrefixed<C: Collection>(_ data: C, max: Int) where C.Element == UInt8 {
        precondition(data.count <= max, "encoding a field above its limit")
        u32(UInt32(data.count))
        bytes.append(contentsOf: data)
    }

    /// u32 length ‖ UTF-8 bytes.
    public mutating func string(_ s: String, max: Int) { lengthPrefixed(Array(s.utf8), max: max) }

    /// 0x00, or 0x01 ‖ value.
    public mutating func optional<T>(_ v: T?, _ body: (inout CanonicalEncoder, T) -> Void) {
        if let v {
            bytes.append(1)
            body(&self, v)
        } else {
            bytes.append(0)
        }
    }

    /// u32 count ‖ elements.
    public mutating func array<T>(_ items: [T], max: Int, _ body: (inout CanonicalEncoder, T) -> Void) {
        precondition(items.count <= max, "encoding an array above its limit")
        u32(UInt32(items.count))
        for item in items { body(&self, item) }
    }

    public mutating func value<T: CanonicalCodable>(_ v: T) { v.encode(to: &self) }

    public mutating func array<T: CanonicalCodable>(_ items: [T], max: Int) {
        array(items, max: max) { e, item in item.encode(to: &e) }
    }
}

/// Reads canonical encodings, checking every length against its field's maximum before
/// allocating, and rejecting truncation, non-canonical tags and trailing bytes.
public struct CanonicalDecoder: Sendable {
    @usableFromInline let data: [UInt8]
    @usableFromInline var position: Int

    public init(_ data: [UInt8]) {
        self.data = data
        self.position = 0
    }

    public var remaining: Int { data.count - position }

    /// Fails unless every byte was consumed.
    public func finish() throws {
        guard position == data.count else {
            throw ChainCoreError(
                code: "codec.trailing_bytes", reason: "\(data.count - position) bytes after the end of the value")
        }
    }

    @inlinable
    mutating func take(_ n: Int, _ field: String) throws -> ArraySlice<UInt8> {
        guard n >= 0, data.count - position >= n else {
            throw ChainCoreError(
                code: "codec.truncated", field: field, reason: "needs \(n) bytes, \(data.count - position) left")
        }
        defer { position += n }
        return data[position..<position + n]
    }

    public mutating func u8(_ field: String) throws -> UInt8 { try take(1, field).first! }

    public mutating func u16(_ field: String) throws -> UInt16 {
        try take(2, field).reduce(0) { $0 << 8 | UInt16($1) }
    }

    public mutating func u32(_ field: String) throws -> UInt32 {
        try take(4, field).reduce(0) { $0 << 8 | UInt32($1) }
    }

    public mutating func u64(_ field: String) throws -> UInt64 {
        try take(8, field).reduce(0) { $0 << 8 | UInt64($1) }
    }

    public mutating func i64(_ field: String) throws -> Int64 { Int64(bitPattern: try u64(field)) }

    public mutating func bool(_ field: String) throws -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let other:
            throw ChainCoreError(
                code: "codec.non_canonical", field: field, reason: "boolean byte \(other) is not 0 or 1")
        }
    }

    /// Reads a version byte and fails unless it is one of `supported`.
    @discardableResult
    public mutating func version(_ field: String, supported: ClosedRange<UInt8>) throws -> UInt8 {
        let v = try u8(field)
        guard supported.contains(v) else {
            throw ChainCoreError(
                code: "codec.unsupported_version", field: field, reason: "version \(v) is not supported")
        }
        return v
    }

    public mutating func hash(_ field: String) throws -> Hash { try Hash(bytes: try take(Hash.byteCount, field)) }

    /// Exactly `count` raw bytes.
    public mutating func raw(_ count: Int, _ field: String) throws -> [UInt8] { Array(try take(count, field)) }

    /// u32 length ‖ bytes, the length checked against `max` before anything is allocated.
    public mutating func lengthPrefixed(_ field: String, max: Int) throws -> [UInt8] {
        let n = try length(field, max: max)
        return Array(try take(n, field))
    }

    /// u32 length ‖ UTF-8; invalid UTF-8 is rejected.
    public mutating func string(_ field: String, max: Int) throws -> String {
        let raw = try lengthPrefixed(field, max: max)
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw ChainCoreError(code: "codec.invalid_utf8", field: field, reason: "not valid UTF-8")
        }
        return s
    }

    public mutating func optional<T>(_ field: String, _ body: (inout CanonicalDecoder) throws -> T) throws -> T? {
        switch try u8(field) {
        case 0: return nil
        case 1: return try body(&self)
        case let other:
            throw ChainCoreError(
                code: "codec.non_canonical", field: field, reason: "optional tag \(other) is not 0 or 1")
        }
    }

    /// u32 count ‖ elements; the count is checked against `max` and against the bytes left
    /// (each element takes at least `minElementSize` bytes) before reserving storage.
    public mutating func array<T>(
        _ field: String, max: Int, minElementSize: Int = 1, _ body: (inout CanonicalDecoder) throws -> T
    ) throws -> [T] {
        let n = try length(field, max: max)
        guard n.multipliedReportingOverflow(by: Swift.max(minElementSize, 0)).partialValue <= remaining else {
            throw ChainCoreError(
                code: "codec.truncated", field: field, reason: "\(n) elements cannot fit in \(remaining) bytes")
        }
        var out = [T]()
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try body(&self)) }
        return out
    }

    public mutating func value<T: CanonicalCodable>(_ type: T.Type = T.self) throws -> T { try T(from: &self) }

    public mutating func array<T: CanonicalCodable>(_ field: String, max: Int, minElementSize: Int = 1) throws -> [T] {
        try array(field, max: max, minElementSize: minElementSize) { try T(from: &$0) }
    }

    /// An enum tag: fails with `codec.unknown_tag` when `T(rawValue:)` does not know it.
    public mutating func tag<T: RawRepresentable>(_ field: String, as type: T.Type = T.self) throws -> T
    where T.RawValue == UInt8 {
        let raw = try u8(field)
        guard let v = T(rawValue: raw) else {
            throw ChainCoreError(code: "codec.unknown_tag", field: field, reason: "unknown tag \(raw)")
        }
        return v
    }

    private mutating func length(_ field: String, max: Int) throws -> Int {
        let n = Int(try u32(field))
        guard n <= max else {
            throw ChainCoreError(
                code: "codec.length_exceeded", field: field, reason: "length \(n) exceeds the limit \(max)")
        }
        return n
    }
}

/// A 32-byte digest (SHA-256 or SM3, both 32 bytes) stored inline as four big-endian words,
/// so hashes compare, hash and sort without heap allocation.
public struct Hash: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Byte count of every hash in the system.
    public static let byteCount = 32

    // Big-endian words: w0 holds bytes 0..<8.
    public let w0: UInt64
    public let w1: UInt64
    public let w2: UInt64
    public let w3: UInt64

    /// The all-zero hash (used as the parent of genesis and the empty-tree root where documented).
    public static let zero = Hash(w0: 0, w1: 0, w2: 0, w3: 0)

    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// A hash from a digest's 32 bytes in memory (a hasher's output buffer), read as four
    /// big-endian words without copying the bytes into an array.
    @inlinable
    public init(digestBuffer buffer: UnsafeRawBufferPointer) {
        precondition(buffer.count == Hash.byteCount, "a digest is 32 bytes")
        w0 = UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        w1 = UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        w2 = UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        w3 = UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    /// Builds a hash from exactly 32 bytes; throws otherwise. Inlinable and allocation-free:
    /// every digest of every suite goes through here (state-tree hashing is hot).
    @inlinable
    public init<C: Collection>(bytes: C) throws where C.Element == UInt8 {
        guard bytes.count == Hash.byteCount else {
            throw ChainCoreError(
                code: "hash.bad_length", reason: "a hash is \(Hash.byteCount) bytes, got \(bytes.count)")
        }
        var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var i = 0
        for b in bytes {
            switch i >> 3 {
            case 0: w.0 = w.0 << 8 | UInt64(b)
            case 1: w.1 = w.1 << 8 | UInt64(b)
            case 2: w.2 = w.2 << 8 | UInt64(b)
            default: w.3 = w.3 << 8 | UInt64(b)
            }
            i += 1
        }
        self.init(w0: w.0, w1: w.1, w2: w.2, w3: w.3)
    }

    /// Parses 64 hexadecimal characters.
    public init(hex: String) throws {
        guard let bytes = Hex.decode(hex), bytes.count == Hash.byteCount else {
            throw ChainCoreError(code: "hash.bad_hex", reason: "expected 64 hexadecimal characters")
        }
        try self.init(bytes: bytes)
    }

    /// The 32 bytes, big-endian.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        appendBytes(to: &out)
        return out
    }

    /// Appends the 32 bytes to `out` without an intermediate array.
    @inlinable
    public func appendBytes(to out: inout [UInt8]) {
        // No array literal: this runs for every hash encoded.
        for k in 0..<4 {
            let w = k == 0 ? w0 : k == 1 ? w1 : k == 2 ? w2 : w3
            var shift: UInt64 = 64
            while shift > 0 {
                shift -= 8
                out.append(UInt8(truncatingIfNeeded: w >> shift))
            }
        }
    }

    /// Bit `i` (0 = most significant bit of byte 0); used by sparse Merkle trees.
    @inlinable
    public func bit(_ i: Int) -> Bool {
        precondition(i >= 0 && i < 256, "bit index out of range")
        let word: UInt64
        switch i >> 6 {
        case 0: word = w0
        case 1: word = w1
        case 2: word = w2
        default: word = w3
        }
        return (word >> UInt64(63 - (i & 63))) & 1 == 1
    }

    public var hex: String { Hex.encode(bytes) }

    /// First 8 hex characters, for logs.
    public var short: String { String(hex.prefix(8)) }

    public var description: String { hex }

    public static func < (a: Hash, b: Hash) -> Bool {
        (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
    }
}

/// Lowercase hexadecimal encoding.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var chars = [UInt8]()
        chars.reserveCapacity(bytes.count * 2)
        for b in bytes {
            chars.append(digits[Int(b >> 4)])
            chars.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: chars, as: UTF8.self)
    }

    /// Decodes hex (either case); nil on odd length or a non-hex character.
    public static func decode(_ string: String) -> [UInt8]? {
        let utf8 = Array(string.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = nibble(utf8[i]), let lo = nibble(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

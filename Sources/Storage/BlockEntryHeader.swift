import ChainCore

/// The fixed 57-byte header in front of every block-store payload (docs/storage.md):
///
/// ```
/// offset size field
///      0    4 magic "CCBE"
///      4    1 version (1)
///      5    8 height, u64 big-endian
///     13    4 payload length, u32 big-endian (≤ the store's entry size limit)
///     17    4 payload CRC-32C, u32 big-endian
///     21   32 entry hash = H("creditchain/block-store-entry/v1", payload), the injected hasher
///     53    4 header CRC-32C over bytes 0..<53, u32 big-endian
///     57    n payload
/// ```
///
/// The header has its own checksum so that a length can be trusted (and bounded) before anything
/// is read or allocated for the payload, and so sealed segments can be indexed from headers alone.
struct BlockEntryHeader: Equatable, Sendable {
    static let size = 57
    static let magic: [UInt8] = Array("CCBE".utf8)
    static let version: UInt8 = 1
    /// Domain of the entry hash (architecture.md: every hash names its domain).
    static let domain = Domain("creditchain/block-store-entry/v1")

    var height: UInt64
    var length: UInt32
    var payloadCRC: UInt32
    var hash: Hash

    /// Header for `payload` at `height`.
    init(height: UInt64, payload: [UInt8], hasher: any ChainHasher) {
        self.height = height
        self.length = UInt32(payload.count)
        self.payloadCRC = CRC32C.checksum(payload)
        self.hash = hasher.hash(Self.domain, payload)
    }

    init(height: UInt64, length: UInt32, payloadCRC: UInt32, hash: Hash) {
        self.height = height
        self.length = length
        self.payloadCRC = payloadCRC
        self.hash = hash
    }

    var bytes: [UInt8] {
        var e = CanonicalEncoder(reservingCapacity: Self.size)
        e.raw(Self.magic)
        e.version(Self.version)
        e.u64(height)
        e.u32(length)
        e.u32(payloadCRC)
        e.hash(hash)
        e.u32(CRC32C.checksum(e.bytes))
        return e.bytes
    }

    /// Why a header was rejected; the open scan uses it to tell a torn tail from damage.
    enum Problem: Equatable, Sendable {
        case short(available: Int)
        case badMagic
        case badVersion(UInt8)
        case badChecksum
        case tooLarge(UInt32)

        var reason: String {
            switch self {
            case .short(let n): return "header truncated (\(n) of \(BlockEntryHeader.size) bytes)"
            case .badMagic: return "bad magic"
            case .badVersion(let v): return "unsupported entry version \(v)"
            case .badChecksum: return "header checksum mismatch"
            case .tooLarge(let n): return "length \(n) exceeds the entry size limit"
            }
        }
    }

    /// Parses and checks a header: magic, version, header checksum, and the length against
    /// `maxPayload` — all before the caller reads or allocates the payload.
    static func parse(_ bytes: [UInt8], maxPayload: Int) -> Result<BlockEntryHeader, ProblemBox> {
        guard bytes.count >= size else { return .failure(ProblemBox(.short(available: bytes.count))) }
        guard Array(bytes[0..<4]) == magic else { return .failure(ProblemBox(.badMagic)) }
        guard bytes[4] == version else { return .failure(ProblemBox(.badVersion(bytes[4]))) }
        var d = CanonicalDecoder(Array(bytes[5..<size]))
        // The decoder cannot fail: exactly 52 bytes remain for fixed-width fields.
        guard let height = try? d.u64("height"), let length = try? d.u32("length"),
            let payloadCRC = try? d.u32("payload_crc"), let hash = try? d.hash("hash"),
            let headerCRC = try? d.u32("header_crc")
        else { return .failure(ProblemBox(.short(available: bytes.count))) }
        guard CRC32C.checksum(bytes[0..<53]) == headerCRC else { return .failure(ProblemBox(.badChecksum)) }
        guard Int(length) <= maxPayload else { return .failure(ProblemBox(.tooLarge(length))) }
        return .success(BlockEntryHeader(height: height, length: length, payloadCRC: payloadCRC, hash: hash))
    }

    /// `Problem` as an `Error`, so it fits `Result`.
    struct ProblemBox: Error, Equatable {
        let problem: Problem
        init(_ problem: Problem) { self.problem = problem }
    }
}

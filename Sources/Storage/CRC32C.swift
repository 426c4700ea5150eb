/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of iSCSI, ext4 metadata and
/// many write-ahead logs. It catches torn and flipped bytes cheaply; the entry hash is what ties an
/// entry to its content cryptographically.
///
/// Slicing-by-8 over eight 256-entry tables, so a checksum costs about one table lookup per byte.
public enum CRC32C {
    /// CRC-32C of `bytes`.
    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc = Running()
        crc.update(bytes)
        return crc.value
    }

    /// An incremental CRC-32C, for data that arrives in pieces (snapshot files).
    public struct Running: Sendable {
        private var state: UInt32 = 0xFFFF_FFFF

        public init() {}

        /// The checksum of everything passed to `update` so far.
        public var value: UInt32 { ~state }

        public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
            let done: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
                update(UnsafeRawBufferPointer(buffer))
                return true
            }
            if done == nil {
                Array(bytes).withUnsafeBytes { update($0) }
            }
        }

        public mutating func update(_ buffer: UnsafeRawBufferPointer) {
            let t = CRC32C.tables
            var crc = state
            var i = 0
            let n = buffer.count
            t.withUnsafeBufferPointer { table in
                while n - i >= 8 {
                    let lo =
                        crc
                        ^ (UInt32(buffer[i]) | UInt32(buffer[i + 1]) << 8 | UInt32(buffer[i + 2]) << 16
                            | UInt32(buffer[i + 3]) << 24)
                    let hi =
                        UInt32(buffer[i + 4]) | UInt32(buffer[i + 5]) << 8 | UInt32(buffer[i + 6]) << 16
                        | UInt32(buffer[i + 7]) << 24
                    crc =
                        table[7 * 256 + Int(lo & 0xFF)] ^ table[6 * 256 + Int((lo >> 8) & 0xFF)]
                        ^ table[5 * 256 + Int((lo >> 16) & 0xFF)] ^ table[4 * 256 + Int(lo >> 24)]
                        ^ table[3 * 256 + Int(hi & 0xFF)] ^ table[2 * 256 + Int((hi >> 8) & 0xFF)]
                        ^ table[1 * 256 + Int((hi >> 16) & 0xFF)] ^ table[Int(hi >> 24)]
                    i += 8
                }
                while i < n {
                    crc = table[Int((crc ^ UInt32(buffer[i])) & 0xFF)] ^ (crc >> 8)
                    i += 1
                }
            }
            state = crc
        }
    }

    // tables[k * 256 + b]: the CRC of byte b followed by k zero bytes.
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for b in 0..<256 {
            var c = UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[b] = c
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let prev = t[(k - 1) * 256 + b]
                t[k * 256 + b] = t[Int(prev & 0xFF)] ^ (prev >> 8)
            }
        }
        return t
    }()
}

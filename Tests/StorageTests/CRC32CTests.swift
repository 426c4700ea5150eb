import Testing

@testable import Storage

@Suite struct CRC32CTests {
    @Test func publishedVectors() {
        // The CRC-32C check value and the RFC 3720 (iSCSI) B.4 examples.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func incrementalEqualsOneShot() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            var c = CRC32C.Running()
            c.update(data[0..<split])
            c.update(data[split...])
            #expect(c.value == CRC32C.checksum(data))
        }
    }
}

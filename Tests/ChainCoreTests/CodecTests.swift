import Testing

@testable import ChainCore

@Suite struct CodecTests {
    @Test func integersAreBigEndian() throws {
        var e = CanonicalEncoder()
        e.u16(0x0102)
        e.u32(0x0304_0506)
        e.u64(0x0708_090a_0b0c_0d0e)
        e.i64(-1)
        #expect(e.bytes == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14] + Array(repeating: 0xff, count: 8))
    }

    @Test func lengthIsCheckedBeforeAllocating() throws {
        // A declared length of 4 GiB - 1 with 0 bytes behind it must fail on the limit, not allocate.
        var d = CanonicalDecoder([0xff, 0xff, 0xff, 0xff])
        #expect(throws: ChainCoreError.self) { try d.lengthPrefixed("payload", max: 1024) }
        var d2 = CanonicalDecoder([0xff, 0xff, 0xff, 0xff])
        do {
            _ = try d2.lengthPrefixed("payload", max: 1024)
            Issue.record("expected an error")
        } catch let e as ChainCoreError {
            #expect(e.code == "codec.length_exceeded")
            #expect(e.field == "payload")
        }
    }

    @Test func trailingBytesAreRejected() throws {
        #expect(throws: ChainCoreError.self) { _ = try Height(canonicalBytes: [0, 0, 0, 0, 0, 0, 0, 1, 0]) }
        #expect(try Height(canonicalBytes: [0, 0, 0, 0, 0, 0, 0, 1]) == Height(1))
    }

    @Test func domainSeparatedBytes() throws {
        let chain = ChainID(Hash.zero)
        let bytes = DomainSeparation.signingBytes(Domain("creditchain/test/v1"), chainID: chain, [9])
        #expect(bytes.first == 19)
        #expect(bytes.count == 1 + 19 + 32 + 1)
        #expect(bytes.last == 9)
    }
}

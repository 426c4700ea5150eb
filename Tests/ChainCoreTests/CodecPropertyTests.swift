import Testing

@testable import ChainCore

/// A small deterministic generator (SplitMix64) so every property run replays exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A structure exercising every codec primitive, used by the property tests.
struct Sample: CanonicalCodable, Equatable {
    var flag: Bool
    var small: UInt16
    var count: UInt32
    var big: UInt64
    var signed: Int64
    var digest: Hash
    var name: String
    var blob: [UInt8]
    var maybe: Height?
    var members: [MemberID]
    var suite: SuiteID

    func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.bool(flag)
        e.u16(small)
        e.u32(count)
        e.u64(big)
        e.i64(signed)
        e.hash(digest)
        e.string(name, max: 40)
        e.lengthPrefixed(blob, max: 64)
        e.optional(maybe) { e, h in e.value(h) }
        e.array(members, max: 4)
        e.value(suite)
    }

    init(from d: inout CanonicalDecoder) throws {
        try d.version("sample.version", supported: 1...1)
        flag = try d.bool("flag")
        small = try d.u16("small")
        count = try d.u32("count")
        big = try d.u64("big")
        signed = try d.i64("signed")
        digest = try d.hash("digest")
        name = try d.string("name", max: 40)
        blob = try d.lengthPrefixed("blob", max: 64)
        maybe = try d.optional("maybe") { try $0.value(Height.self) }
        members = try d.array("members", max: 4, minElementSize: 5)
        suite = try d.value()
    }

    init(using g: inout SeededGenerator) {
        flag = Bool.random(using: &g)
        small = UInt16.random(in: .min ... .max, using: &g)
        count = UInt32.random(in: .min ... .max, using: &g)
        big = UInt64.random(in: .min ... .max, using: &g)
        signed = Int64.random(in: .min ... .max, using: &g)
        digest = Hash(
            w0: g.next(), w1: g.next(), w2: g.next(), w3: g.next())
        let alphabet = Array("abcdefghij klmnop中文信用🙂")
        name = String((0..<Int.random(in: 0...10, using: &g)).map { _ in alphabet.randomElement(using: &g)! })
        blob = (0..<Int.random(in: 0...64, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
        maybe = Bool.random(using: &g) ? Height(g.next()) : nil
        members = (0..<Int.random(in: 0...4, using: &g)).map { i in try! MemberID("bank-\(i)") }
        suite = Bool.random(using: &g) ? .standard : .gm
    }
}

@Suite struct CodecPropertyTests {
    @Test func decodeOfEncodeIsIdentity() throws {
        var g = SeededGenerator(seed: 1)
        for _ in 0..<2_000 {
            let x = Sample(using: &g)
            let bytes = x.canonicalBytes
            #expect(try Sample(canonicalBytes: bytes) == x)
        }
    }

    /// Mutating valid encodings produces byte strings that are either rejected or, when accepted,
    /// re-encode to exactly the same bytes (one byte string per value).
    @Test func acceptedBytesAreCanonical() throws {
        var g = SeededGenerator(seed: 2)
        var accepted = 0
        var rejected = 0
        for _ in 0..<5_000 {
            var bytes = Sample(using: &g).canonicalBytes
            let flips = Int.random(in: 1...3, using: &g)
            for _ in 0..<flips {
                let i = Int.random(in: 0..<bytes.count, using: &g)
                bytes[i] = UInt8.random(in: 0...255, using: &g)
            }
            if Bool.random(using: &g) { bytes.append(UInt8.random(in: 0...255, using: &g)) }
            if Bool.random(using: &g), bytes.count > 1 {
                bytes.removeLast(Int.random(in: 1...3, using: &g) % bytes.count)
            }
            do {
                let decoded = try Sample(canonicalBytes: bytes)
                #expect(decoded.canonicalBytes == bytes)
                accepted += 1
            } catch is ChainCoreError {
                rejected += 1
            }
        }
        // Both outcomes must actually occur, or the property says nothing.
        #expect(accepted > 100)
        #expect(rejected > 100)
    }

    @Test func randomBytesNeverCrash() throws {
        var g = SeededGenerator(seed: 3)
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...200, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
            _ = try? Sample(canonicalBytes: bytes)
            _ = try? Height(canonicalBytes: bytes)
            _ = try? MemberID(canonicalBytes: bytes)
        }
    }

    @Test func nonCanonicalTagsAreRejected() throws {
        var g = SeededGenerator(seed: 4)
        let x = Sample(using: &g)
        var bytes = x.canonicalBytes
        bytes[1] = 2  // boolean byte
        #expect(throws: ChainCoreError.self) { try Sample(canonicalBytes: bytes) }
        bytes = x.canonicalBytes
        bytes[0] = 9  // version
        do {
            _ = try Sample(canonicalBytes: bytes)
            Issue.record("accepted an unsupported version")
        } catch let e as ChainCoreError {
            #expect(e.code == "codec.unsupported_version")
        }
    }

    @Test func invalidUTF8IsRejected() throws {
        var e = CanonicalEncoder()
        e.lengthPrefixed([0xff, 0xfe], max: 10)
        var d = CanonicalDecoder(e.bytes)
        #expect(throws: ChainCoreError.self) { try d.string("name", max: 10) }
    }

    @Test func arrayCountBeyondRemainingBytesIsRejectedBeforeReserving() throws {
        // Count 4 (within max) of 5-byte elements but only 3 bytes follow.
        var d = CanonicalDecoder([0, 0, 0, 4, 1, 2, 3])
        do {
            let _: [MemberID] = try d.array("members", max: 4, minElementSize: 5)
            Issue.record("accepted a truncated array")
        } catch let e as ChainCoreError {
            #expect(e.code == "codec.truncated")
            #expect(e.field == "members")
        }
    }

    @Test func memberIDRules() throws {
        #expect(throws: ChainCoreError.self) { try MemberID("") }
        #expect(throws: ChainCoreError.self) { try MemberID("-bank") }
        #expect(throws: ChainCoreError.self) { try MemberID("Bank") }
        #expect(throws: ChainCoreError.self) { try MemberID(String(repeating: "a", count: 65)) }
        #expect(try MemberID("gd-data-hub-1").value == "gd-data-hub-1")
    }

    @Test func hashHexAndBits() throws {
        let h = try Hash(hex: "80" + String(repeating: "00", count: 30) + "01")
        #expect(h.bit(0))
        #expect(!h.bit(1))
        #expect(h.bit(255))
        #expect(h.hex == "80" + String(repeating: "00", count: 30) + "01")
        #expect(throws: ChainCoreError.self) { try Hash(hex: "abc") }
        #expect(Hash.zero < h)
    }

    @Test func domainsAreValidated() throws {
        #expect(throws: ChainCoreError.self) { try Domain(validating: "creditchain/x") }
        #expect(throws: ChainCoreError.self) { try Domain(validating: "other/x/v1") }
        #expect(throws: ChainCoreError.self) { try Domain(validating: "creditchain/x/vv") }
        #expect(try Domain(validating: "creditchain/consent/v2").prefix.first == 22)
    }
}

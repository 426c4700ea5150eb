import ChainCore
import Testing

@testable import Ledger

@Suite struct KeyValueTestApplicationTests {
    let hasher = SHA256Hasher()

    func context(_ h: UInt64) -> BlockContext {
        BlockContext(chainID: testChainID, height: Height(h), timestampMillis: Int64(h), proposer: member("p"))
    }

    @Test func sameBlocksGiveSameRootsAndDifferentBlocksDiffer() {
        var a = KeyValueTestApplication(hasher: hasher)
        var b = KeyValueTestApplication(hasher: hasher)
        let txs = (0..<5).map { transaction($0) }
        let ra = a.executeBlock(context(1), transactions: txs)
        let rb = b.executeBlock(context(1), transactions: txs)
        #expect(ra.stateRoot == rb.stateRoot)
        #expect(ra.results.allSatisfy { $0.isOK })
        #expect(a.entries[Array("k4".utf8)] == Array("v4".utf8))
        // Two writes of one key (k0) in the other order leave another value, so another root.
        var c = KeyValueTestApplication(hasher: hasher)
        var d = KeyValueTestApplication(hasher: hasher)
        let rc = c.executeBlock(context(1), transactions: [transaction(0), transaction(7)])
        let rd = d.executeBlock(context(1), transactions: [transaction(7), transaction(0)])
        #expect(rc.stateRoot != rd.stateRoot)
        #expect(c.entries[Array("k0".utf8)] == Array("v7".utf8))
    }

    @Test func validatorSetTransactionYieldsAnUpdateWithAnEffectiveHeight() throws {
        var app = KeyValueTestApplication(hasher: hasher)
        let validators = [
            Validator(member: member("v2"), publicKey: [2]), Validator(member: member("v1"), publicKey: [1]),
        ]
        let tx = transaction(
            1, kind: KeyValueTestApplication.validatorSetKind,
            payload: KeyValueTestApplication.validatorSetPayload(delay: 0, validators: validators))
        let bad = transaction(2, kind: KeyValueTestApplication.validatorSetKind, payload: [1, 2, 3])
        let r = app.executeBlock(context(10), transactions: [tx, bad])
        #expect(r.results.map(\.code) == ["ok", "kv.bad_payload"])
        #expect(r.validatorUpdates.count == 1)
        #expect(r.validatorUpdates.first?.effectiveHeight == Height(12))
        #expect(r.validatorUpdates.first?.validators.map(\.member.value) == ["v1", "v2"])
    }

    @Test func scheduleReturnsTheSetInForce() throws {
        let a = try ValidatorSet([Validator(member: member("a"), publicKey: [1])])
        let b = try ValidatorSet([Validator(member: member("b"), publicKey: [2])])
        var schedule = ValidatorSchedule(genesis: a)
        schedule.add(b, from: Height(10))
        #expect(schedule.set(at: Height(9)) == a)
        #expect(schedule.set(at: Height(10)) == b)
        #expect(schedule.set(at: Height(1000)) == b)
        schedule.prune(below: Height(11))
        #expect(schedule.entries.count == 1)
        #expect(schedule.set(at: Height(11)) == b)
    }

    @Test func aScheduleRoundTripsAndItsHeightsMustAscendFromZero() throws {
        let a = try ValidatorSet([Validator(member: member("a"), publicKey: [1])])
        let b = try ValidatorSet([Validator(member: member("b"), publicKey: [2])])
        var schedule = ValidatorSchedule(genesis: a)
        schedule.add(b, from: Height(10))
        schedule.add(a, from: Height(20))
        #expect(try ValidatorSchedule(canonicalBytes: schedule.canonicalBytes) == schedule)

        // Hand-encoded: entries out of order, and a first entry above 0.
        func encoded(_ entries: [(UInt64, ValidatorSet)]) -> [UInt8] {
            var e = CanonicalEncoder()
            e.version(1)
            e.array(entries, max: 10) { e, entry in
                e.u64(entry.0)
                e.value(entry.1)
            }
            return e.bytes
        }
        #expect(try ValidatorSchedule(canonicalBytes: encoded([(0, a), (10, b)])).set(at: Height(10)) == b)
        for bad in [encoded([(0, a), (10, b), (10, a)]), encoded([(5, a)]), encoded([])] {
            #expect(throws: ChainCoreError.self) { try ValidatorSchedule(canonicalBytes: bad) }
        }
    }
}

import ArgumentParser
import ChainCore
import ChainCrypto
import CreditRules
import Foundation
import Ledger
import Node
import Storage

#if canImport(Glibc)
    import Glibc
#endif

/// `creditchain bench-apply`: pure execution throughput of the credit rules (commitment batches
/// and orders) with a large state, including the state-root update; no storage, no network.
struct BenchApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-apply",
        abstract: "Measure CreditRules execution throughput (commitments/s, orders/s) with N subjects in state."
    )

    @Option(help: "Subjects in state before measuring (one commitment each).")
    var subjects = 1_000_000

    @Option(help: "Transactions per measured block.")
    var blockSize = 2000

    @Option(help: "Measured blocks per scenario.")
    var blocks = 10

    @Option(help: "Suite: standard or gm.")
    var suite = "standard"

    @Option(
        help:
            "Also apply every block's writes and results to a node state store (SQLite) in this directory, as a node does at commit, and report that apply separately."
    )
    var stateStore: String?

    func run() throws {
        guard let suiteID = SuiteID(name: suite) else { throw ValidationError("unknown suite \(suite)") }
        var bench = try CreditBench(suite: CryptoSuites.suite(suiteID))
        if let dir = stateStore {
            let path = absolutePath(dir) + "/state.sqlite"
            if FileManager.default.fileExists(atPath: path) {
                throw ValidationError("\(path) exists; give an empty directory")
            }
            bench.store = try StateStore(path: path)
        }
        print(
            "suite \(suite), prefilling \(subjects) subjects (CPU time of the executing thread; wall time in brackets)")
        func report(_ what: String, _ count: Int, _ cpu: Double, _ wall: Double, _ unit: String) {
            print(
                String(
                    format: "%@: %d in %.2f s [%.2f s] = %.0f %@/s [%.0f]", what, count, cpu, wall, Double(count) / cpu,
                    unit, Double(count) / wall))
            // Per block, so that a pause (a resize, a sweep) shows apart from the steady cost.
            let blocks = bench.blockCPUSeconds.sorted()
            bench.blockCPUSeconds = []
            guard let slowest = blocks.last else { return }
            print(
                String(
                    format: "  %d blocks, CPU ms per block: min %.1f, median %.1f, max %.1f", blocks.count,
                    blocks[0] * 1000, blocks[blocks.count / 2] * 1000, slowest * 1000))
        }
        /// The node's apply of the last scenario's blocks (with `--state-store`), then reset.
        func reportApply(_ bench: inout CreditBench, _ n: Int) {
            guard bench.store != nil else { return }
            print(
                String(
                    format:
                        "  node apply of those blocks (SQLite transaction per block, synchronous=normal): %.2f s = %.0f commitments/s; execution + apply %.0f commitments/s",
                    bench.applySeconds, Double(n) / bench.applySeconds,
                    Double(n) / (bench.wallSeconds + bench.applySeconds)))
            bench.applySeconds = 0
        }
        bench.wallSeconds = 0
        let prefill = bench.publish(subjects: 0..<subjects, itemsPerTransaction: 1000, transactionsPerBlock: 10)
        report("prefill, batches of 1000", subjects, prefill, bench.wallSeconds, "commitments")
        print("state entries: \(bench.app.state.count)")
        if bench.store != nil {
            print(
                String(
                    format: "  node apply of the prefill: %.2f s = %.0f commitments/s", bench.applySeconds,
                    Double(subjects) / bench.applySeconds))
            bench.applySeconds = 0
        }
        let n = blockSize * blocks
        var rng = SystemRandomNumberGenerator()
        bench.wallSeconds = 0
        let single = bench.publishNewRecords(
            count: n, itemsPerTransaction: 1, transactionsPerBlock: blockSize, subjects: subjects, using: &rng)
        report("single-commitment transactions, \(blockSize) per block", n, single, bench.wallSeconds, "commitments")
        reportApply(&bench, n)
        bench.wallSeconds = 0
        let batched = bench.publishNewRecords(
            count: n, itemsPerTransaction: 100, transactionsPerBlock: max(1, blockSize / 100), subjects: subjects,
            using: &rng)
        report("100-commitment batches", n, batched, bench.wallSeconds, "commitments")
        reportApply(&bench, n)
        let orders = try bench.orders(
            count: n / 4, transactionsPerBlock: blockSize / 4, subjects: subjects, using: &rng)
        report("orders (consent check, listing, points, audit)", n / 4, orders.placing, orders.wall, "orders")
        print("state entries: \(bench.app.state.count), root \(bench.app.stateRoot.short)")
    }
}

/// Drives `CreditRulesApplication` with synthetic blocks.
struct CreditBench {
    static let supervisor = member("supervisor")
    static let source = member("data-hub")
    static let bank = member("bank")

    static func member(_ s: String) -> MemberID {
        guard let id = try? MemberID(s) else { preconditionFailure("invalid benchmark member id \(s)") }
        return id
    }
    static let chainID = ChainID(Hash(w0: 7, w1: 7, w2: 7, w3: 7))

    let suite: any CryptoSuite
    var app: CreditRulesApplication
    var height: UInt64 = 0
    var time: Int64 = 1_767_196_800_000
    var unique: UInt64 = 0
    var recordCounter = 0

    init(suite: any CryptoSuite) throws {
        self.suite = suite
        let fields = [FieldSpec(name: "uscc", type: .uscc), FieldSpec(name: "name", type: .string)]
        let types = [
            DataType(
                code: "REG-001", source: "SRC", category: "basic", nameEn: "Registration", negative: false,
                retentionYears: nil, sensitivity: .public, consentRequired: false, fields: fields, pricePoints: 1,
                eventStartField: nil, eventEndField: nil),
            DataType(
                code: "PEN-001", source: "SRC", category: "warning", nameEn: "Penalty", negative: true,
                retentionYears: 5, sensitivity: .public, consentRequired: false,
                fields: fields + [FieldSpec(name: "decision_date", type: .date)], pricePoints: 1,
                eventStartField: "decision_date", eventEndField: nil),
        ]
        var params = CreditParameters()
        params.commitmentBatchMax = 1000
        params.alertDailyOrdersMax = 1 << 40
        params.alertConsentUsesMax = 1 << 40
        let genesis = CreditGenesis(
            members: [
                Member(id: Self.supervisor, role: .supervisor, signingKey: [1]),
                Member(id: Self.source, role: .dataSource, signingKey: [2], registrar: true),
                Member(id: Self.bank, role: .bank, signingKey: [3]),
            ],
            catalog: types, sourcePublishers: [SourcePublisher(source: "SRC", member: Self.source)],
            purposes: CreditGenesis.defaultPurposes, parameters: params,
            points: [PointAllocation(member: Self.bank, points: 1 << 40)])
        app = try CreditRulesApplication(genesis: genesis, hasher: suite.hasher, verifier: suite.verifier)
    }

    static func subject(_ i: Int) -> Hash {
        Hash(w0: 0x5EED, w1: UInt64(i), w2: 0, w3: UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
    }

    mutating func envelope<P: CreditPayload>(_ signer: MemberID, _ p: P) -> TransactionEnvelope {
        unique += 1
        var id = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 { id[i] = UInt8(truncatingIfNeeded: unique >> UInt64(56 - 8 * i)) }
        return TransactionEnvelope(
            suite: suite.id, signer: signer, uniqueID: id, expiry: Height(height + 5), kind: P.kind.rawValue,
            payload: p.canonicalBytes)
    }

    /// CPU seconds of this thread: the machine may be shared, and execution is single-threaded,
    /// so CPU time is the single-core figure; wall time is reported beside it.
    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    var wallSeconds = 0.0
    /// CPU seconds of each executed block since the last report.
    var blockCPUSeconds: [Double] = []
    /// The node's state store, when the apply is measured too (`--state-store`).
    var store: StateStore?
    /// Wall seconds spent in `StateStore.apply` (one SQLite transaction per block).
    var applySeconds = 0.0

    /// Executes one block; returns the CPU seconds spent in `executeBlock` (state root included)
    /// and adds the wall time to `wallSeconds`.
    mutating func execute(_ txs: [TransactionEnvelope]) -> Double {
        height += 1
        time += 1000
        let ctx = BlockContext(
            chainID: Self.chainID, height: Height(height), timestampMillis: time, proposer: Self.source)
        let wall = DispatchTime.now().uptimeNanoseconds
        let cpu = Self.threadCPUSeconds()
        let exec = app.executeBlock(ctx, transactions: txs)
        let elapsed = Self.threadCPUSeconds() - cpu
        blockCPUSeconds.append(elapsed)
        wallSeconds += Double(DispatchTime.now().uptimeNanoseconds - wall) / 1e9
        if let bad = exec.results.first(where: { !$0.isOK }) {
            fatalError("benchmark transaction failed: \(bad.code) \(bad.detail)")
        }
        if let store {
            // The node has these hashes from execution; they are not part of its apply.
            let hashes = txs.map { $0.hash(using: suite.hasher) }
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                try store.record(exec, transactionHashes: hashes, at: Height(height))
            } catch {
                fatalError("state store apply failed: \(error)")
            }
            applySeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        return elapsed
    }

    mutating func item(subject: Int, type: String = "REG-001") -> CommitmentItem {
        recordCounter += 1
        let negative = type == "PEN-001"
        return CommitmentItem(
            typeCode: type, subject: Self.subject(subject), recordID: "r\(recordCounter)", version: 1,
            commitment: Hash(w0: UInt64(recordCounter), w1: 1, w2: 2, w3: 3),
            eventStart: negative ? Int32(20_400 + recordCounter % 300) : nil, negative: negative)
    }

    mutating func publish(subjects: Range<Int>, itemsPerTransaction: Int, transactionsPerBlock: Int) -> Double {
        var total = 0.0
        var next = subjects.lowerBound
        while next < subjects.upperBound {
            var txs: [TransactionEnvelope] = []
            for _ in 0..<transactionsPerBlock where next < subjects.upperBound {
                let end = min(next + itemsPerTransaction, subjects.upperBound)
                let items = (next..<end).map { item(subject: $0) }
                txs.append(envelope(Self.source, PublishCommitmentsPayload(items: items)))
                next = end
            }
            total += execute(txs)
        }
        return total
    }

    mutating func publishNewRecords<G: RandomNumberGenerator>(
        count: Int, itemsPerTransaction: Int, transactionsPerBlock: Int, subjects: Int, using rng: inout G
    ) -> Double {
        var total = 0.0
        var done = 0
        while done < count {
            var txs: [TransactionEnvelope] = []
            for _ in 0..<transactionsPerBlock where done < count {
                let k = min(itemsPerTransaction, count - done)
                // One record in four is negative (it also files the retention index), counted over
                // the whole run so that single-commitment transactions get the same mix as batches.
                let items = (done..<(done + k)).map { i in
                    item(subject: Int.random(in: 0..<subjects, using: &rng), type: i % 4 == 0 ? "PEN-001" : "REG-001")
                }
                txs.append(envelope(Self.source, PublishCommitmentsPayload(items: items)))
                done += k
            }
            total += execute(txs)
        }
        return total
    }

    mutating func orders<G: RandomNumberGenerator>(
        count: Int, transactionsPerBlock: Int, subjects: Int, using rng: inout G
    )
        throws -> (placing: Double, wall: Double)
    {
        // One enterprise key signs every consent (signing is off chain; verification is measured).
        let key = try suite.generateSigningKey()
        var setup = 0.0
        var consents: [Hash] = []
        var regs: [TransactionEnvelope] = []
        var grants: [TransactionEnvelope] = []
        for c in 0..<min(count, 2000) {
            let s = c * max(1, subjects / 2000)
            regs.append(
                envelope(Self.source, RegisterEnterprisePayload(subject: Self.subject(s), publicKey: key.publicKey)))
            let body = ConsentBody(
                subject: Self.subject(s), bank: Self.bank, purpose: .loanApplication, categories: ["basic", "warning"],
                validFromMillis: time, validUntilMillis: time + 30 * 86_400_000,
                nonce: Array(repeating: UInt8(truncatingIfNeeded: c), count: 8)
                    + Array(repeating: UInt8(truncatingIfNeeded: c >> 8), count: 8))
            let sig = try key.sign(CreditDomains.consent, chainID: Self.chainID, body.canonicalBytes)
            grants.append(envelope(Self.bank, GrantConsentPayload(body: body, signature: sig)))
            consents.append(body.id(using: suite.hasher))
        }
        setup += execute(regs)
        setup += execute(grants)
        wallSeconds = 0
        var total = 0.0
        var done = 0
        while done < count {
            var txs: [TransactionEnvelope] = []
            for _ in 0..<transactionsPerBlock where done < count {
                let cid = consents[Int.random(in: 0..<consents.count, using: &rng)]
                txs.append(
                    envelope(
                        Self.bank,
                        PlaceOrderPayload(
                            consentID: cid, purpose: .loanApplication, loanReference: "LA",
                            types: ["REG-001", "PEN-001"])))
                done += 1
            }
            total += execute(txs)
        }
        _ = setup
        return (total, wallSeconds)
    }
}

import API
import ChainCore
import Ledger

/// A hash good enough to tell test transactions apart (not cryptographic: the HTTP layer only
/// passes hashes through).
struct TestHasher: ChainHasher {
    func digest(_ data: [UInt8]) -> Hash {
        var words: [UInt64] = [
            0xcbf2_9ce4_8422_2325, 0x9e37_79b9_7f4a_7c15, 0x1234_5678_9abc_def0, 0x0f0f_0f0f_0f0f_0f0f,
        ]
        for (i, byte) in data.enumerated() {
            words[i % 4] = (words[i % 4] ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return Hash(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
    }
}

/// A node double for HTTP-layer tests: it admits or refuses by a scripted rule, remembers what
/// it was given, and "commits" a transaction when the test says so.
actor TestNode: NodeAccess {
    var submitted: [(envelope: TransactionEnvelope, bytes: [UInt8])] = []
    var rejection: SubmissionRejection?
    var committed: [Hash: TransactionView] = [:]
    var pending: Set<Hash> = []
    /// When true, a submitted transaction commits at once (for `wait=commit`).
    var commitOnSubmit = false
    var lastWaitTimeout: Duration?
    var ready = true
    let blocks: [UInt64: BlockView]

    init(blocks: [UInt64: BlockView] = [:]) {
        self.blocks = blocks
    }

    func refuse(with rejection: SubmissionRejection?) { self.rejection = rejection }
    func setCommitOnSubmit(_ value: Bool) { commitOnSubmit = value }
    func setReady(_ value: Bool) { ready = value }

    func status() async throws -> NodeStatus {
        NodeStatus(
            chainID: String(repeating: "ab", count: 32), suite: "standard",
            member: MemberView(id: "bank-a", role: "bank"),
            height: 42, round: 7, lastBlockHash: String(repeating: "cd", count: 32),
            lastBlockTimeMillis: 1_700_000_000_000,
            peers: [PeerView(member: "val-1", role: "validator", connected: true, address: "127.0.0.1:7001")],
            validators: [ValidatorView(member: "val-1", publicKey: "00ff")], sync: SyncView(state: .synced),
            mempoolSize: 3, version: "test")
    }

    func health() async -> NodeHealth {
        ready ? NodeHealth(live: true, ready: true) : NodeHealth(live: true, ready: false, reasons: ["catching up"])
    }

    func metricsText() async -> String { "# TYPE creditchain_height gauge\ncreditchain_height 42\n" }

    func submit(_ envelope: TransactionEnvelope, canonicalBytes: [UInt8]) async throws(SubmissionRejection) -> Hash {
        if let rejection { throw rejection }
        submitted.append((envelope, canonicalBytes))
        let hash = TestHasher().hash(TransactionEnvelope.hashDomain, canonicalBytes)
        if commitOnSubmit {
            committed[hash] = TransactionView(
                hash: hash.hex, status: .committed, height: 43, index: 0, result: ResultView(.ok),
                proof: InclusionProofView(leafIndex: 0, treeSize: 1, path: [], root: hash.hex))
        } else {
            pending.insert(hash)
        }
        return hash
    }

    func waitForCommit(_ hash: Hash, timeout: Duration) async throws -> TransactionView? {
        lastWaitTimeout = timeout
        return committed[hash]
    }

    func transaction(_ hash: Hash) async throws -> TransactionView {
        if let view = committed[hash] { return view }
        if pending.contains(hash) { return TransactionView(hash: hash.hex, status: .pending) }
        return TransactionView(hash: hash.hex, status: .unknown)
    }

    func block(at height: Height) async throws -> BlockView? { blocks[height.value] }
}

/// A signed-looking envelope (the double does not verify signatures).
func sampleEnvelope(payload: [UInt8] = Array("hello".utf8), uniqueByte: UInt8 = 7) throws -> TransactionEnvelope {
    TransactionEnvelope(
        suite: .standard, signer: try MemberID("bank-a"), uniqueID: [UInt8](repeating: uniqueByte, count: 16),
        expiry: Height(100), kind: 3, payload: payload, signature: [UInt8](repeating: 0x5a, count: 64))
}

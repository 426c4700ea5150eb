import ChainCore
import ClusterSimulation
import Consensus
import Foundation
import Ledger

let hasher = SimulationHasher()
let verifier = SimulationVerifier()
let chainID = ChainID(hasher.hash(Domain.genesis, Array("consensus-tests".utf8)))
let genesisRoot = hasher.digest([0])
let genesisBlock = Block(
    header: BlockHeader.genesis(chainID: chainID, stateRoot: genesisRoot, timestampMillis: 0, hasher: hasher),
    transactions: [])
let genesisHash = genesisBlock.hash(using: hasher)
let genesisQC = QuorumCertificate.genesis(genesisHash)

func member(_ i: Int) -> MemberID {
    // swift-format-ignore: NeverUseForceTry
    try! MemberID("validator-\(i)")
}

let signers = (0..<7).map { SimulationSigner(secret: UInt64($0) &* 0x1234_5678 &+ 99) }

func validatorSet(_ n: Int) -> ValidatorSet {
    // swift-format-ignore: NeverUseForceTry
    try! ValidatorSet((0..<n).map { Validator(member: member($0), publicKey: signers[$0].publicKey) })
}

func config(idleBlockIntervalMillis: Int64 = 0, reputationWindow: Int = 10) -> ConsensusConfig {
    ConsensusConfig(
        chainID: chainID, genesisHash: genesisHash, blockTransactionsMax: 4, blockBytesMax: 4096,
        idleBlockIntervalMillis: idleBlockIntervalMillis, reputationWindow: reputationWindow)
}

/// The simulation verifier, counting the checks of each public key (shared by reference, so a
/// test reads the counts after the replica that owns it has run).
final class CountingVerifier: ChainVerifier, @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [[UInt8]: Int] = [:]
    var suite: SuiteID { .standard }

    func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        lock.withLock { counts[publicKey, default: 0] += 1 }
        return SimulationVerifier().verify(signature: signature, message: message, publicKey: publicKey)
    }

    func checks(of publicKey: [UInt8]) -> Int { lock.withLock { counts[publicKey] ?? 0 } }
    var total: Int { lock.withLock { counts.values.reduce(0, +) } }
}

func makeReplica(
    _ i: Int, n: Int = 4, safety: SafetyData? = nil, tip: ChainTip? = nil, idleBlockIntervalMillis: Int64 = 0,
    reputationWindow: Int = 10, verifier: any ChainVerifier = verifier
) -> Replica {
    let tip =
        tip
        ?? ChainTip(
            block: genesisBlock, certificate: genesisQC, stateRoot: genesisRoot,
            schedule: ValidatorSchedule(genesis: validatorSet(n)))
    return Replica(
        config: config(idleBlockIntervalMillis: idleBlockIntervalMillis, reputationWindow: reputationWindow),
        member: member(i), signer: signers[i],
        hasher: hasher, verifier: verifier, tip: tip,
        safetyData: safety)
}

func signedQC(_ data: VoteData, by indices: [Int]) -> QuorumCertificate {
    QuorumCertificate(
        voteData: data,
        signatures: indices.map {
            // swift-format-ignore: NeverUseForceTry
            ValidatorSignature(
                signer: member($0), signature: try! signers[$0].sign(data.signingBytes(chainID: chainID)))
        })
}

func tx(_ i: Int) -> TransactionEnvelope {
    var id = [UInt8](repeating: 0, count: 16)
    id[15] = UInt8(truncatingIfNeeded: i)
    id[14] = UInt8(truncatingIfNeeded: i >> 8)
    return TransactionEnvelope(
        suite: .standard, signer: member(0), uniqueID: id, expiry: Height(1000), kind: 1,
        payload: KeyValueTestApplication.putPayload(key: [UInt8(i % 5)], value: [UInt8(truncatingIfNeeded: i)]))
}

/// A scripted in-memory cluster: messages are delivered in FIFO order unless a test intervenes,
/// blocks execute immediately with the key-value test application.
struct ScriptedCluster {
    var replicas: [Replica]
    var apps: [[Hash: KeyValueTestApplication]]
    var inbox: [(to: Int, from: Int, message: ConsensusMessage)] = []
    var timers: [Round?]
    /// The last `scheduleProposal` of each replica (idle pacing).
    var proposalsDue: [(round: Round, at: Int64)?]
    var commits: [[CommittedBlock]]
    var evidence: [Evidence] = []
    var safety: [SafetyData?]
    var down: Set<Int> = []
    var now: Int64 = 1000

    init(
        n: Int = 4, idleBlockIntervalMillis: Int64 = 0, reputationWindow: Int = 10,
        verifiers: [any ChainVerifier]? = nil
    ) {
        replicas = (0..<n).map {
            makeReplica(
                $0, n: n, idleBlockIntervalMillis: idleBlockIntervalMillis, reputationWindow: reputationWindow,
                verifier: verifiers?[$0] ?? verifier)
        }
        proposalsDue = Array(repeating: nil, count: n)
        let app = KeyValueTestApplication(hasher: hasher, genesisRoot: genesisRoot)
        apps = Array(repeating: [genesisHash: app], count: n)
        timers = Array(repeating: nil, count: n)
        commits = Array(repeating: [], count: n)
        safety = Array(repeating: nil, count: n)
    }

    mutating func start() {
        for i in replicas.indices { step(i, .start) }
    }

    mutating func step(_ i: Int, _ event: Input.Event) {
        guard !down.contains(i) else { return }
        var pending = [event]
        while !pending.isEmpty {
            let e = pending.removeFirst()
            for effect in replicas[i].step(Input(e, nowMillis: now)) {
                switch effect {
                case .persistSafety(let d): safety[i] = d
                case .persistBlock: break
                case .send(let to, let m), .share(let to, let m):
                    if let j = replicas.firstIndex(where: { $0.member == to }) { inbox.append((j, i, m)) }
                case .broadcast(let m):
                    for j in replicas.indices where j != i { inbox.append((j, i, m)) }
                case .execute(let block):
                    guard var app = apps[i][block.header.parentHash] else { continue }
                    let r = app.executeBlock(
                        BlockContext(
                            chainID: chainID, height: block.header.height,
                            timestampMillis: block.header.timestampMillis,
                            proposer: block.header.proposer), transactions: block.transactions)
                    let h = block.hash(using: hasher)
                    apps[i][h] = app
                    pending.append(
                        .executed(blockHash: h, stateRoot: r.stateRoot, validatorUpdates: r.validatorUpdates))
                case .commit(let c): commits[i].append(contentsOf: c.blocks)
                case .setTimer(let round, _): timers[i] = round
                case .scheduleProposal(let round, let at): proposalsDue[i] = (round, at)
                case .evidence(let e): evidence.append(e)
                }
            }
        }
    }

    /// Delivers queued messages until none is left (or `limit` deliveries).
    mutating func run(limit: Int = 10_000, filter: (Int, Int, ConsensusMessage) -> Bool = { _, _, _ in true }) {
        var count = 0
        while !inbox.isEmpty && count < limit {
            let (to, from, m) = inbox.removeFirst()
            count += 1
            now += 1
            guard !down.contains(to), !down.contains(from), filter(to, from, m) else { continue }
            step(to, .message(from: replicas[from].member, m))
        }
    }

    /// Advances the clock to the earliest scheduled proposal and delivers it; false if none.
    mutating func fireDueProposal() -> Bool {
        guard
            let (i, due) = proposalsDue.enumerated().compactMap({ i, d in d.map { (i, $0) } })
                .min(by: { $0.1.at < $1.1.at })
        else { return false }
        proposalsDue[i] = nil
        now = max(now, due.at)
        step(i, .proposalDue(due.round))
        return true
    }

    mutating func fireTimers() {
        now += 5000
        for i in replicas.indices { if let r = timers[i] { step(i, .timerFired(r)) } }
    }
}

import ChainCore
import ChainCrypto
import Consensus
import CreditRules
import Foundation
import Ledger
import Logging
import ServiceLifecycle
import Storage
import Transport

/// Who this node is: member id, role and the consensus signing key.
public struct NodeIdentity: Sendable {
    public var member: MemberID
    public var role: NodeRole
    public var signer: any ChainSigner
}

/// The chain a node runs: genesis values and the suite's primitives.
public struct ChainContext: Sendable {
    public var genesis: Genesis
    public var chainID: ChainID
    public var suite: SuiteID
    public var hasher: any ChainHasher
    public var verifier: any ChainVerifier
    public var consensusConfig: ConsensusConfig
    public var genesisBlock: Block
    public var genesisHash: Hash
    public var memberKeys: [MemberID: [UInt8]]
    public var genesisSchedule: ValidatorSchedule

    /// Builds the context from a loaded genesis.
    public static func make(genesis: Genesis, chainID: ChainID) throws -> ChainContext {
        let suiteID = try genesis.suiteID
        let suite = CryptoSuites.suite(suiteID)
        let app = try ApplicationFactory.make(genesis: genesis, suite: suite)
        let header = BlockHeader.genesis(
            chainID: chainID, stateRoot: app.stateRoot, timestampMillis: genesis.genesisTimeMs, hasher: suite.hasher)
        let block = Block(header: header, transactions: [])
        let hash = block.hash(using: suite.hasher)
        var keys: [MemberID: [UInt8]] = [:]
        for m in genesis.members { keys[try MemberID(m.id)] = try m.signingKeyBytes }
        let set = try ValidatorSet(try genesis.ledgerValidators)
        let p = genesis.parameters
        let config = ConsensusConfig(
            chainID: chainID, genesisHash: hash, blockTransactionsMax: Int(p.blockTransactionsMax),
            blockBytesMax: Int(p.blockBytesMax), roundTimeoutMillis: p.roundTimeoutMs,
            timestampDriftMaxMillis: p.clockDriftMaxMs, idleBlockIntervalMillis: p.blockIntervalMs)
        // An idle leader waits up to the block interval before proposing; followers must not
        // time the round out meanwhile.
        guard p.blockIntervalMs * 2 <= p.roundTimeoutMs else {
            throw NodeError(
                code: "genesis.bad_parameters",
                reason:
                    "block_interval_ms (\(p.blockIntervalMs)) must be at most half of round_timeout_ms (\(p.roundTimeoutMs))"
            )
        }
        return ChainContext(
            genesis: genesis, chainID: chainID, suite: suiteID, hasher: suite.hasher, verifier: suite.verifier,
            consensusConfig: config, genesisBlock: block, genesisHash: hash, memberKeys: keys,
            genesisSchedule: ValidatorSchedule(genesis: set))
    }
}

/// Which application a genesis names: `credit-rules` (the credit domain, `CreditRules`) or
/// `test-kv` (the consensus issue's key-value test application, used by the node benchmarks).
public enum ApplicationFactory {
    public static func make(genesis: Genesis, suite: any CryptoSuite) throws -> any Application {
        switch genesis.application.name {
        case CreditApplicationSection.applicationName:
            let section = try CreditApplicationSection.decode(genesis.application.parameters)
            let credit = try section.creditGenesis(members: genesis.members, hasher: suite.hasher)
            do {
                return try CreditRulesApplication(genesis: credit, hasher: suite.hasher, verifier: suite.verifier)
            } catch let error as CreditRulesError {
                throw NodeError(code: "genesis.invalid_application", reason: error.description)
            }
        case "test-kv": return KeyValueTestApplication(hasher: suite.hasher)
        default:
            throw NodeError(
                code: "genesis.unknown_application", reason: "unknown application \(genesis.application.name)")
        }
    }
}

extension ApplicationFactory {
    /// The application loaded from a state store's entries at its applied height, instead of
    /// replaying every block from genesis. The credit rules rebuild their state tree and the
    /// recomputed root must equal the recorded one (`storage.state_root_mismatch` otherwise); the
    /// test application's root is a hash chain that entries cannot recompute, so it takes the
    /// recorded root.
    public static func restore(genesis: Genesis, suite: any CryptoSuite, store: StateStore) throws -> (
        any Application, StateStore.Applied
    ) {
        var entries: [(key: [UInt8], value: [UInt8])] = []
        var applied: StateStore.Applied?
        try store.forEachEntry { a, e in
            applied = a
            entries.append((e.key, e.value))
        }
        if applied == nil { applied = try store.applied() }
        guard let applied else {
            throw NodeError(code: "storage.no_state", reason: "the state store holds no applied state")
        }
        return (try load(genesis: genesis, suite: suite, entries: entries, recorded: applied), applied)
    }

    /// The application over `entries`, whose root must recompute to `recorded`'s.
    static func load(
        genesis: Genesis, suite: any CryptoSuite, entries: [(key: [UInt8], value: [UInt8])],
        recorded applied: StateStore.Applied
    ) throws -> any Application {
        let app: any Application
        switch genesis.application.name {
        case CreditApplicationSection.applicationName:
            do {
                app = try CreditRulesApplication(entries: entries, hasher: suite.hasher, verifier: suite.verifier)
            } catch let error as CreditRulesError {
                throw NodeError(code: "storage.state_unreadable", reason: "the recorded state: \(error)")
            }
        case "test-kv":
            app = KeyValueTestApplication(
                hasher: suite.hasher, entries: entries, stateRoot: applied.stateRoot, height: applied.height)
        default:
            throw NodeError(
                code: "genesis.unknown_application", reason: "unknown application \(genesis.application.name)")
        }
        guard app.stateRoot == applied.stateRoot else {
            throw NodeError(
                code: "storage.state_root_mismatch",
                reason:
                    "state at height \(applied.height) recomputes to root \(app.stateRoot.short), the store recorded \(applied.stateRoot.short)"
            )
        }
        return app
    }
}

/// The three stores of a data directory.
public struct NodeStores: Sendable {
    public var blocks: BlockStore
    public var safety: SafetyStore
    public var state: StateStore

    /// Held while the stores are open: one process per data directory.
    public var lock: DataDirectoryLock

    public static func open(dataDir: String, hasher: any ChainHasher, logger: Logger) throws -> NodeStores {
        let lock = try DataDirectoryLock(directory: dataDir)
        let blocks = try BlockStore(directory: dataDir + "/blocks", hasher: hasher)
        if let tail = blocks.openReport.truncatedTail {
            logger.error(
                "block store: \(tail.reason) in \(tail.segment) at offset \(tail.offset); truncated \(tail.droppedBytes) bytes (expected height \(tail.expectedHeight))"
            )
        }
        return NodeStores(
            blocks: blocks, safety: try SafetyStore(directory: dataDir, recordBytesMax: SafetyRecord.storedBytesMax),
            // Written in batches (`StateRecorder`): a background checkpoint after each. A 64 MiB
            // page cache keeps the B-tree pages a batch updates from being read back from the OS.
            state: try StateStore(
                path: dataDir + "/state.sqlite", options: .init(checkpointEveryCommits: 1, cacheBytes: 64 << 20)),
            lock: lock)
    }

    public func close() {
        blocks.close()
        try? state.close()
        lock.release()
    }
}

/// The chain as recovered from the data directory at start.
struct RecoveredChain: Sendable {
    var executor: BlockExecutor
    var tip: ChainTip
    var tipHash: Hash
    /// Transactions of the last blocks (for the mempool's replay memory).
    var recentTransactions: [(Height, [Hash], [TransactionEnvelope])]
    /// The tip is a restored snapshot's base block: no block above it has confirmed its state root.
    var snapshotUnconfirmed = false
    /// The last committed blocks with their certificates (for the consensus core's history).
    var recentCommitted: [CommittedBlock] = []

    /// Recovers the committed chain from the data directory. When the state store's applied
    /// height is a block the block store holds, the application is loaded from the state store
    /// (its recomputed root checked against the recorded one) and only the blocks above it are
    /// replayed: a restart costs O(state), not O(history). Otherwise (an empty state store, or one
    /// ahead of a block store whose tail was truncated) every block is replayed from genesis, and
    /// into the state store above its applied height (its commits are not fsync'd one by one).
    static func recover(chain: ChainContext, stores: NodeStores, logger: Logger) throws -> RecoveredChain {
        let suite = CryptoSuites.suite(chain.suite)
        let applied = try stores.state.applied()
        let first = stores.blocks.firstHeight
        let last = stores.blocks.lastHeight ?? Height(0)
        var start: (StoredBlock, Hash, any Application, ValidatorSchedule)?
        if let a = applied, a.height.value > 0, let first, first <= a.height, a.height <= last {
            guard let entry = try stores.blocks.read(height: a.height) else {
                throw NodeError(code: "storage.missing_block", reason: "block store has no height \(a.height)")
            }
            let sb = try StoredBlock(canonicalBytes: entry.payload)
            do {
                let (app, _) = try ApplicationFactory.restore(genesis: chain.genesis, suite: suite, store: stores.state)
                let schedule = try stores.state.validatorSchedule() ?? chain.genesisSchedule
                start = (sb, sb.block.hash(using: chain.hasher), app, schedule)
                logger.info("loaded the state at height \(a.height) from the state store")
            } catch let error as NodeError
                where ["storage.state_root_mismatch", "storage.state_unreadable"].contains(error.code)
                && first.value == 1
            {
                // A store written before genesis' state was recorded, or damaged: the blocks
                // still give the state.
                logger.warning("\(error.reason); replaying every block instead")
            }
        } else if let first, first.value > 1 {
            throw NodeError(
                code: "storage.missing_state",
                reason:
                    "the block store starts at height \(first) (a snapshot) but the state store is at \(applied?.height.description ?? "none"); restore the snapshot again"
            )
        }
        let app = try start?.2 ?? ApplicationFactory.make(genesis: chain.genesis, suite: suite)
        if applied == nil {
            // A fresh state store: genesis' state first, so the store holds the whole state.
            try stores.state.apply(height: Height(0), stateRoot: app.stateRoot, writes: app.stateEntries())
        }
        var executor = BlockExecutor(
            application: app, committedHash: start?.1 ?? chain.genesisHash, chainID: chain.chainID,
            hasher: chain.hasher, verifier: chain.verifier, genesisKeys: chain.memberKeys)
        var tip =
            start.map {
                ChainTip(block: $0.0.block, certificate: $0.0.certificate, stateRoot: app.stateRoot, schedule: $0.3)
            }
            ?? ChainTip(
                block: chain.genesisBlock, certificate: QuorumCertificate.genesis(chain.genesisHash),
                stateRoot: app.stateRoot, schedule: chain.genesisSchedule)
        var tipHash = start?.1 ?? chain.genesisHash
        let appliedHeight = applied?.height ?? Height(0)
        var recent: [(Height, [Hash], [TransactionEnvelope])] = []
        if let (sb, _, _, _) = start, let first {
            // The mempool's replay memory: the transactions of the last blocks below the start.
            var h = Height(max(first.value, last.value > 255 ? last.value - 255 : 0))
            while h <= sb.height {
                if let entry = try stores.blocks.read(height: h) {
                    let block = try StoredBlock(canonicalBytes: entry.payload).block
                    recent.append((h, block.transactions.map { $0.hash(using: chain.hasher) }, block.transactions))
                }
                h = h.next
            }
        }
        var h = tip.block.header.height.next
        let replayFrom = h
        while h <= last {
            guard let entry = try stores.blocks.read(height: h) else {
                throw NodeError(code: "storage.missing_block", reason: "block store has no height \(h)")
            }
            let sb = try StoredBlock(canonicalBytes: entry.payload)
            guard sb.block.header.parentHash == tipHash, sb.block.header.stateRoot == executor.committedStateRoot else {
                throw NodeError(
                    code: "storage.divergent_block", reason: "stored block \(h) does not extend the replayed chain")
            }
            let hash = sb.block.hash(using: chain.hasher)
            let (execution, txHashes) = executor.commit(sb.block, hash: hash)
            let schedule = tip.schedule.adding(
                execution.validatorUpdates, decidedAt: h, heightWindow: chain.consensusConfig.heightWindow)
            if h > appliedHeight {
                try stores.state.record(
                    execution, transactionHashes: txHashes, at: h,
                    schedule: execution.validatorUpdates.isEmpty ? nil : schedule)
            }
            tip = ChainTip(
                block: sb.block, certificate: sb.certificate, stateRoot: execution.stateRoot, schedule: schedule)
            tipHash = hash
            if last.value - h.value < 256 { recent.append((h, txHashes, sb.block.transactions)) }
            h = h.next
        }
        if replayFrom <= last {
            logger.info("replayed blocks \(replayFrom)...\(last) (state store was at \(appliedHeight))")
        }
        // The core's recent history: the last stored blocks, each with its certificate.
        var recentCommitted: [CommittedBlock] = []
        if let first, last.value > 0 {
            var h = Height(max(first.value, last.value > 63 ? last.value - 63 : 1))
            while h <= last {
                if let entry = try stores.blocks.read(height: h) {
                    let sb = try StoredBlock(canonicalBytes: entry.payload)
                    // A block's post-state root is named by its child's header (the tip's is known).
                    if let previous = recentCommitted.indices.last,
                        recentCommitted[previous].block.header.height.next == h
                    {
                        recentCommitted[previous].stateRoot = sb.block.header.stateRoot
                    }
                    recentCommitted.append(
                        CommittedBlock(
                            block: sb.block, hash: sb.block.hash(using: chain.hasher), certificate: sb.certificate,
                            stateRoot: h == last ? tip.stateRoot : .zero))
                }
                h = h.next
            }
        }
        return RecoveredChain(
            executor: executor, tip: tip, tipHash: tipHash, recentTransactions: recent,
            snapshotUnconfirmed: (first?.value ?? 1) > 1 && tip.block.header.height == first,
            recentCommitted: recentCommitted)
    }
}

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

/// The three stores of a data directory.
public struct NodeStores: Sendable {
    public var blocks: BlockStore
    public var safety: SafetyStore
    public var state: StateStore

    public static func open(dataDir: String, hasher: any ChainHasher, logger: Logger) throws -> NodeStores {
        let blocks = try BlockStore(directory: dataDir + "/blocks", hasher: hasher)
        if let tail = blocks.openReport.truncatedTail {
            logger.error(
                "block store: \(tail.reason) in \(tail.segment) at offset \(tail.offset); truncated \(tail.droppedBytes) bytes (expected height \(tail.expectedHeight))"
            )
        }
        return NodeStores(
            blocks: blocks, safety: try SafetyStore(directory: dataDir),
            state: try StateStore(path: dataDir + "/state.sqlite"))
    }

    public func close() {
        blocks.close()
        try? state.close()
    }
}

/// The chain as recovered from the data directory at start.
struct RecoveredChain: Sendable {
    var executor: BlockExecutor
    var tip: ChainTip
    var tipHash: Hash
    /// Transactions of the last blocks (for the mempool's replay memory).
    var recentTransactions: [(Height, [Hash], [TransactionEnvelope])]

    /// Replays the block store into the application, and into the state store above its applied
    /// height (the state store may lag: its commits are not fsync'd one by one).
    static func recover(chain: ChainContext, stores: NodeStores, logger: Logger) throws -> RecoveredChain {
        let app = try ApplicationFactory.make(genesis: chain.genesis, suite: CryptoSuites.suite(chain.suite))
        var executor = BlockExecutor(
            application: app, committedHash: chain.genesisHash, chainID: chain.chainID, hasher: chain.hasher,
            verifier: chain.verifier, genesisKeys: chain.memberKeys)
        var tip = ChainTip(
            block: chain.genesisBlock, certificate: QuorumCertificate.genesis(chain.genesisHash),
            stateRoot: app.stateRoot, schedule: chain.genesisSchedule)
        var tipHash = chain.genesisHash
        let applied = try stores.state.appliedHeight() ?? Height(0)
        var recent: [(Height, [Hash], [TransactionEnvelope])] = []
        let last = stores.blocks.lastHeight ?? Height(0)
        var h = Height(1)
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
            if h > applied { try stores.state.record(execution, transactionHashes: txHashes, at: h) }
            tip = ChainTip(
                block: sb.block, certificate: sb.certificate, stateRoot: execution.stateRoot,
                schedule: tip.schedule.adding(execution.validatorUpdates))
            tipHash = hash
            if last.value - h.value < 256 { recent.append((h, txHashes, sb.block.transactions)) }
            h = h.next
        }
        if last.value > 0 { logger.info("replayed \(last) blocks (state store was at \(applied))") }
        return RecoveredChain(executor: executor, tip: tip, tipHash: tipHash, recentTransactions: recent)
    }
}

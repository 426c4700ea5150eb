import ChainCore
import ChainCrypto
import Foundation
import Ledger
import Logging
import Storage

/// `creditchain snapshot create|restore`: a node's committed state at one height, for a new or
/// observer node to start from instead of replaying the chain from genesis.
///
/// A snapshot is a directory of two files:
/// - `state.ccss`: every state entry at height A (the state-snapshot format of docs/storage.md);
/// - `anchor.bin`: version 1 ‖ chain id ‖ validator schedule after A ‖ array(stored block), the
///   stored blocks A … C where C is the first at or above A that carries a commit certificate.
///
/// Restoring verifies before it writes anything: the blocks belong to this chain and link; C's
/// commit certificate, signed by a quorum of the set the schedule gives at its height, proves A
/// final; the schedule starts with genesis' set; the entries recompute to the snapshot's state
/// root. Blocks above A in the anchor are then replayed on that state at the node's first start,
/// which checks the root against block A+1's header. When the anchor ends at A (a snapshot of a
/// stopped node), that check happens with the first block synced from peers: until then the
/// node reports itself not ready (`snapshot state not yet confirmed by a later block`).
///
/// Left: the schedule is the snapshot source's. When validators changed since genesis, the
/// changes are taken on trust from it (the chain of set changes is not proved).
public enum NodeSnapshot {
    public static let stateFile = "state.ccss"
    public static let anchorFile = "anchor.bin"
    static let anchorBytesMax = 64 << 20

    /// What a snapshot holds.
    public struct Summary: Sendable, Equatable {
        public var height: Height
        public var stateRoot: Hash
        public var entries: UInt64
        /// Stored blocks in the anchor (A … C).
        public var blocks: Int
    }

    struct Anchor: CanonicalCodable {
        static let blocksMax = 512
        var chainID: ChainID
        var schedule: ValidatorSchedule
        var blocks: [StoredBlock]

        func encode(to e: inout CanonicalEncoder) {
            e.version(1)
            e.value(chainID)
            e.value(schedule)
            e.array(blocks, max: Self.blocksMax)
        }

        init(chainID: ChainID, schedule: ValidatorSchedule, blocks: [StoredBlock]) {
            self.chainID = chainID
            self.schedule = schedule
            self.blocks = blocks
        }

        init(from d: inout CanonicalDecoder) throws {
            try d.version("snapshot_anchor.version", supported: 1...1)
            chainID = try d.value()
            schedule = try d.value()
            blocks = try d.array("snapshot_anchor.blocks", max: Self.blocksMax, minElementSize: 64)
        }
    }

    /// Writes a snapshot of the node's data directory into `directory` (created; existing snapshot
    /// files are replaced). The node must be stopped: its data directory lock is taken.
    public static func create(config: NodeConfig, into directory: String, logger: Logger) throws -> Summary {
        let (_, chain) = try loadChain(config)
        let stores = try NodeStores.open(dataDir: config.dataDir, hasher: chain.hasher, logger: logger)
        defer { stores.close() }
        guard let applied = try stores.state.applied(), applied.height.value > 0 else {
            throw NodeError(code: "snapshot.nothing_committed", reason: "the node has committed no block yet")
        }
        guard let last = stores.blocks.lastHeight, let first = stores.blocks.firstHeight, first <= applied.height,
            applied.height <= last
        else {
            throw NodeError(
                code: "snapshot.state_not_at_a_block",
                reason:
                    "the state store is at height \(applied.height), outside the block store; start the node once so it recovers"
            )
        }
        var blocks: [StoredBlock] = []
        var h = applied.height
        while h <= last && blocks.count < Anchor.blocksMax {
            guard let entry = try stores.blocks.read(height: h) else { break }
            let sb = try StoredBlock(canonicalBytes: entry.payload)
            blocks.append(sb)
            if sb.commitCertificate != nil { break }
            h = h.next
        }
        guard blocks.last?.commitCertificate != nil else {
            throw NodeError(
                code: "snapshot.no_commit_certificate",
                reason: "no stored block from height \(applied.height) on carries a commit certificate")
        }
        let schedule = try stores.state.validatorSchedule() ?? chain.genesisSchedule
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let header = try stores.state.exportSnapshot(to: directory + "/" + stateFile)
        guard header.height == applied.height else {
            throw NodeError(code: "snapshot.moved", reason: "the state moved while it was exported")
        }
        let anchor = Anchor(chainID: chain.chainID, schedule: schedule, blocks: blocks)
        try Data(anchor.canonicalBytes).write(
            to: URL(fileURLWithPath: directory + "/" + anchorFile), options: .atomic)
        return Summary(
            height: header.height, stateRoot: header.stateRoot, entries: header.entryCount, blocks: blocks.count)
    }

    /// Verifies the snapshot in `directory` and installs it in the node's data directory, which
    /// must hold no blocks and no state yet. Nothing is written when verification fails.
    public static func restore(config: NodeConfig, from directory: String, logger: Logger) throws -> Summary {
        let (genesis, chain) = try loadChain(config)
        guard genesis.application.name == CreditApplicationSection.applicationName else {
            throw NodeError(
                code: "snapshot.unsupported_application",
                reason: "the \(genesis.application.name) application's state root cannot be recomputed from entries")
        }
        let anchor = try readAnchor(directory + "/" + anchorFile)
        guard anchor.chainID == chain.chainID else {
            throw NodeError(code: "snapshot.wrong_chain", reason: "the snapshot belongs to another chain")
        }
        // The state: entries read (bounded, checksummed), then the root recomputed.
        let reader = try StateSnapshotReader(path: directory + "/" + stateFile)
        var entries: [(key: [UInt8], value: [UInt8])] = []
        entries.reserveCapacity(Int(min(reader.header.entryCount, 1 << 24)))
        while let e = try reader.next() { entries.append((e.key, e.value)) }
        let recorded = StateStore.Applied(height: reader.header.height, stateRoot: reader.header.stateRoot)
        _ = try ApplicationFactory.load(
            genesis: genesis, suite: CryptoSuites.suite(chain.suite), entries: entries, recorded: recorded)
        entries = []
        try verify(anchor, height: recorded.height, stateRoot: recorded.stateRoot, chain: chain)

        let stores = try NodeStores.open(dataDir: config.dataDir, hasher: chain.hasher, logger: logger)
        defer { stores.close() }
        guard stores.blocks.lastHeight == nil, try stores.state.applied() == nil else {
            throw NodeError(
                code: "snapshot.data_dir_not_empty",
                reason: "\(config.dataDir) already holds a chain; restore into an empty data directory")
        }
        for sb in anchor.blocks {
            try stores.blocks.append(height: sb.height, payload: sb.canonicalBytes, sync: false)
        }
        try stores.blocks.sync()
        try stores.state.importSnapshot(
            from: directory + "/" + stateFile,
            meta: [
                StateStore.MetaValue(name: StateStore.validatorScheduleMeta, value: anchor.schedule.canonicalBytes)
            ])
        logger.info("restored the snapshot at height \(recorded.height) (\(anchor.blocks.count) anchor blocks)")
        return Summary(
            height: recorded.height, stateRoot: recorded.stateRoot, entries: reader.header.entryCount,
            blocks: anchor.blocks.count)
    }

    /// The anchor's blocks start at the snapshot height, link, belong to the chain, have valid
    /// bodies, and the last one's commit certificate proves them under the schedule, whose first
    /// set is genesis'. A block A+1 in the anchor must name the snapshot's root as its parent state.
    static func verify(_ anchor: Anchor, height: Height, stateRoot: Hash, chain: ChainContext) throws {
        guard let first = anchor.schedule.entries.first, first.set == chain.genesisSchedule.set(at: Height(0)) else {
            throw NodeError(
                code: "snapshot.bad_schedule", reason: "the schedule does not start with genesis' validators")
        }
        guard let base = anchor.blocks.first, base.height == height else {
            throw NodeError(code: "snapshot.bad_anchor", reason: "the anchor does not start at the state's height")
        }
        var headers: [BlockHeader] = []
        for (i, sb) in anchor.blocks.enumerated() {
            let header = sb.block.header
            guard header.chainID == chain.chainID, header.height.value == height.value + UInt64(i) else {
                throw NodeError(code: "snapshot.bad_anchor", reason: "block \(header.height) is out of place")
            }
            do { try sb.block.validateBody(hasher: chain.hasher) } catch {
                throw NodeError(code: "snapshot.bad_anchor", reason: "block \(header.height): \(error)")
            }
            if i == 1 && header.stateRoot != stateRoot {
                throw NodeError(
                    code: "snapshot.state_mismatch",
                    reason:
                        "block \(header.height) names parent state \(header.stateRoot.short), the snapshot's is \(stateRoot.short)"
                )
            }
            headers.append(header)
        }
        guard let cc = anchor.blocks.last?.commitCertificate else {
            throw NodeError(code: "snapshot.bad_anchor", reason: "the last anchor block carries no commit certificate")
        }
        do {
            try cc.proves(
                headers[0], descendants: Array(headers.dropFirst()), chainID: chain.chainID,
                validators: anchor.schedule.set(at: cc.certificate.height), hasher: chain.hasher,
                verifier: chain.verifier)
        } catch {
            throw NodeError(code: "snapshot.bad_certificate", reason: "\(error)")
        }
    }

    static func readAnchor(_ path: String) throws -> Anchor {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        guard let size else { throw NodeError(code: "snapshot.unreadable", reason: "cannot read \(path)") }
        guard size <= anchorBytesMax else {
            throw NodeError(code: "snapshot.too_large", reason: "\(path) has \(size) bytes, at most \(anchorBytesMax)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NodeError(code: "snapshot.unreadable", reason: "cannot read \(path)")
        }
        do { return try Anchor(canonicalBytes: [UInt8](data)) } catch {
            throw NodeError(code: "snapshot.bad_anchor", reason: "\(path): \(error)")
        }
    }

    static func loadChain(_ config: NodeConfig) throws -> (Genesis, ChainContext) {
        let (genesis, chainID) = try Genesis.load(path: config.genesis) { CryptoSuites.suite($0).hasher }
        return (genesis, try ChainContext.make(genesis: genesis, chainID: chainID))
    }
}

import ChainCore
import Consensus
import Ledger
import Storage

/// Block sync between nodes (request/response over the peer transport): serving committed blocks
/// from the block store, and verifying fetched batches before anything is stored.
public enum BlockSync {
    /// Most blocks served per request, and most bytes (a batch is extended past these only to reach
    /// the next block that carries a commit certificate, so every batch is provable).
    public static let batchBlocksMax = 128
    public static let batchBytesMax = 4 << 20

    /// Reads blocks `from…` for a peer. Stops at the limits, but always ends on a block with a
    /// commit certificate (or returns nothing when none follows yet).
    public static func serve(from: Height, countMax: Int, store: BlockStore) -> [StoredBlock] {
        guard let last = store.lastHeight, from <= last, countMax > 0 else { return [] }
        var out: [StoredBlock] = []
        var bytes = 0
        var h = from
        var lastCertified = 0
        let hardMax = min(NodeWireMessage.syncBatchMax, batchBlocksMax * 4)
        while h <= last && out.count < hardMax {
            guard let entry = try? store.read(height: h),
                let sb = try? StoredBlock(canonicalBytes: entry.payload)
            else { break }
            out.append(sb)
            bytes += entry.payload.count
            if sb.commitCertificate != nil {
                lastCertified = out.count
                if out.count >= min(countMax, batchBlocksMax) || bytes >= batchBytesMax { break }
            }
            h = h.next
        }
        return Array(out.prefix(lastCertified))
    }

    /// Verifies a fetched batch that must extend the local tip: the header chain links from the tip,
    /// bodies match their transaction roots, and each commit certificate in the batch proves the
    /// blocks up to it under the validator set in force (taking validator changes decided inside the
    /// batch into account, by executing on a scratch copy of the application). Returns the prefix
    /// of blocks proven final; throws on a batch that contradicts the tip or fails verification.
    static func verify(
        _ blocks: [StoredBlock], after tipHeader: BlockHeader, tipHash: Hash, schedule: ValidatorSchedule,
        executor: BlockExecutor, chain: ChainContext
    ) throws -> [StoredBlock] {
        var scratch = executor
        var schedule = schedule
        var parentHash = tipHash
        var parentHeight = tipHeader.height
        var headers: [BlockHeader] = []
        var proven = 0
        var unprovenStart = 0
        for (i, sb) in blocks.enumerated() {
            let header = sb.block.header
            guard header.chainID == chain.chainID else {
                throw NodeError(code: "sync.wrong_chain", reason: "block \(header.height) belongs to another chain")
            }
            guard header.height == parentHeight.next, header.parentHash == parentHash else {
                throw NodeError(
                    code: "sync.broken_chain", reason: "block \(header.height) does not extend \(parentHeight)")
            }
            do { try sb.block.validateBody(hasher: chain.hasher) } catch {
                throw NodeError(code: "sync.bad_body", reason: "block \(header.height): \(error)")
            }
            guard header.stateRoot == scratch.committedStateRoot else {
                throw NodeError(
                    code: "sync.state_mismatch",
                    reason:
                        "block \(header.height) names parent state \(header.stateRoot.short), ours is \(scratch.committedStateRoot.short)"
                )
            }
            let hash = sb.block.hash(using: chain.hasher)
            schedule = schedule.adding(
                scratch.commit(sb.block, hash: hash).execution.validatorUpdates, decidedAt: header.height,
                heightWindow: chain.consensusConfig.heightWindow)
            headers.append(header)
            if let cc = sb.commitCertificate {
                let set = schedule.set(at: cc.certificate.height)
                do {
                    try cc.proves(
                        headers[unprovenStart], descendants: Array(headers[(unprovenStart + 1)...]),
                        chainID: chain.chainID, validators: set, hasher: chain.hasher, verifier: chain.verifier)
                } catch {
                    throw NodeError(code: "sync.bad_certificate", reason: "block \(header.height): \(error)")
                }
                proven = i + 1
                unprovenStart = i + 1
            }
            parentHash = hash
            parentHeight = header.height
        }
        return Array(blocks.prefix(proven))
    }
}

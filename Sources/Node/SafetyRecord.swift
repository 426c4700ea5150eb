import ChainCore
import Consensus

/// What the node keeps in its safety store: the consensus core's `SafetyData` and the
/// uncommitted blocks from the committed tip up to the block of its high certificate and up to
/// the block of its last vote.
///
/// Why the blocks: a validator locks on the certificate its vote builds on, and its timeouts must
/// report a certificate at least that high, so a leader after a timeout must extend that block.
/// Uncommitted blocks lived only in memory, so when every validator crashed (a power cut, the
/// kill-all test), the certified block every lock pointed to was gone everywhere and no leader
/// could ever propose again: the chain stood still for good (seen with 3 kill-all rounds under
/// load). Saved with the record, in the same write and `fdatasync`, the block is durable before
/// any lock on it is, and a restarted validator hands it to its core (`recoveredBlocks`), which
/// checks it again and serves it to the others. The block voted for goes too: then every block
/// with a certificate is durable at each of the validators that voted for it, as the core
/// assumes (`recoveredBlocks`), and not only at those that later learnt its certificate.
///
/// Encoding: a `SafetyData` alone (its version byte is 1; records written before this), or
/// version 2 ‖ length-prefixed `SafetyData` ‖ array (max `blocksMax`) of `LinkedBlock`.
struct SafetyRecord: Sendable, Equatable {
    var data: SafetyData
    var blocks: [LinkedBlock]

    /// Most blocks kept with a record.
    static let blocksMax = 64
    /// The safety store's record limit: room for the chain to the high certificate's block (a few
    /// blocks, each at most the consensus `blockBytesMax`, 1 MiB by default).
    static let storedBytesMax = (2 << 20) + (64 << 10)

    static let dataBytesMax = 1 << 20

    func canonicalBytes() -> [UInt8] {
        var e = CanonicalEncoder()
        e.version(2)
        e.lengthPrefixed(data.canonicalBytes, max: Self.dataBytesMax)
        e.array(blocks, max: Self.blocksMax)
        return e.bytes
    }

    init(data: SafetyData, blocks: [LinkedBlock]) {
        self.data = data
        self.blocks = blocks
    }

    init(canonicalBytes bytes: [UInt8]) throws {
        guard bytes.first == 2 else {
            self.init(data: try SafetyData(canonicalBytes: bytes), blocks: [])
            return
        }
        var d = CanonicalDecoder(bytes)
        try d.version("safety_record.version", supported: 2...2)
        let data = try SafetyData(canonicalBytes: try d.lengthPrefixed("safety_record.data", max: Self.dataBytesMax))
        let blocks: [LinkedBlock] = try d.array("safety_record.blocks", max: Self.blocksMax, minElementSize: 64)
        try d.finish()
        self.init(data: data, blocks: blocks)
    }

    /// The record to save: `data` with the chains that end at its high certificate's block and
    /// at the block of its last vote (usually one chain: the vote's block extends the
    /// certificate's), taken from `pending` down to the first block at or below `committed` (which
    /// the block store holds), lowest height first. Blocks are dropped from the bottom while the
    /// record is above `bytesMax`; without its block the high certificate is saved as before.
    static func bytes(
        for data: SafetyData, pending: [Hash: LinkedBlock], committed: Height, bytesMax: Int = storedBytesMax
    ) -> [UInt8] {
        var chain: [LinkedBlock] = []
        var taken = Set<Hash>()
        for end in [data.highQC.block.hash, data.lastVote?.data.block.hash].compactMap({ $0 }) {
            var cursor = end
            while chain.count < blocksMax, !taken.contains(cursor), let linked = pending[cursor],
                linked.block.header.height > committed
            {
                chain.append(linked)
                taken.insert(cursor)
                cursor = linked.block.header.parentHash
            }
        }
        chain.sort { $0.block.header.height < $1.block.header.height }
        while true {
            let bytes = SafetyRecord(data: data, blocks: chain).canonicalBytes()
            if bytes.count <= bytesMax || chain.isEmpty { return bytes }
            chain.removeFirst()
        }
    }
}

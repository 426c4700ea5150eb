import ChainCore
import Ledger

/// What nodes say to each other inside transport frames (docs/node.md, "Peer protocol"). The
/// consensus payload stays opaque here: the consensus core decodes its own messages.
///
/// Encoding: version 1 ‖ tag u8 ‖ body.
///
/// | tag | message | body |
/// |---|---|---|
/// | 1 | consensus | bytes (max 8 MiB): a consensus message's canonical encoding |
/// | 2 | transactions | array (max 1,024) of `TransactionEnvelope` |
/// | 3 | sync request | `Height` first wanted ‖ u32 most blocks wanted (0: only the tip) |
/// | 4 | sync response | `Height` the responder's committed tip ‖ array (max 1,024) of `StoredBlock` |
public enum NodeWireMessage: Sendable, Equatable, CanonicalCodable {
    public static let payloadMax = 8 << 20
    public static let gossipBatchMax = 1024
    public static let syncBatchMax = 1024

    case consensus([UInt8])
    case transactions([TransactionEnvelope])
    case syncRequest(from: Height, countMax: UInt32)
    case syncResponse(tip: Height, blocks: [StoredBlock])

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        switch self {
        case .consensus(let bytes):
            e.u8(1)
            e.lengthPrefixed(bytes, max: Self.payloadMax)
        case .transactions(let txs):
            e.u8(2)
            e.array(txs, max: Self.gossipBatchMax)
        case .syncRequest(let from, let countMax):
            e.u8(3)
            e.value(from)
            e.u32(countMax)
        case .syncResponse(let tip, let blocks):
            e.u8(4)
            e.value(tip)
            e.array(blocks, max: Self.syncBatchMax)
        }
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("node_message.version", supported: 1...1)
        switch try d.u8("node_message.tag") {
        case 1: self = .consensus(try d.lengthPrefixed("node_message.consensus", max: Self.payloadMax))
        case 2:
            self = .transactions(try d.array("node_message.transactions", max: Self.gossipBatchMax, minElementSize: 40))
        case 3: self = .syncRequest(from: try d.value(), countMax: try d.u32("node_message.count_max"))
        case 4:
            self = .syncResponse(
                tip: try d.value(),
                blocks: try d.array("node_message.blocks", max: Self.syncBatchMax, minElementSize: 64))
        default:
            throw ChainCoreError(code: "codec.unknown_tag", field: "node_message.tag", reason: "unknown node message")
        }
    }
}

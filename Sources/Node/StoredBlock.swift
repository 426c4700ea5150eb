import ChainCore
import Ledger

/// What the node stores per height in the block store and serves to syncing peers: the block, the
/// quorum certificate that certifies it (its child's `justify`), and — on the block a commit
/// certificate named — that certificate. Blocks committed together with a later one carry none: the
/// later certificate plus the header chain proves them (`CommitCertificate.proves`).
///
/// Encoding (docs/encoding.md, "Stored block"): version 1 ‖ `Block` ‖ `QuorumCertificate` ‖
/// optional(`CommitCertificate`).
public struct StoredBlock: Sendable, Hashable, CanonicalCodable {
    public var block: Block
    public var certificate: QuorumCertificate
    public var commitCertificate: CommitCertificate?

    public init(block: Block, certificate: QuorumCertificate, commitCertificate: CommitCertificate?) {
        self.block = block
        self.certificate = certificate
        self.commitCertificate = commitCertificate
    }

    public var height: Height { block.header.height }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(block)
        e.value(certificate)
        e.optional(commitCertificate) { e, c in e.value(c) }
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("stored_block.version", supported: 1...1)
        block = try d.value()
        certificate = try d.value()
        commitCertificate = try d.optional("stored_block.commit_certificate") { try $0.value() }
    }
}

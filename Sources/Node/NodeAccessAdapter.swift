import API
import ChainCore
import Foundation
import Ledger
import Storage

/// The node as the API sees it (`NodeAccess`): reads go to the stores (thread-safe, never blocked by
/// a block being applied), status and submissions through the replica's owner.
public struct NodeAccessAdapter: NodeAccess {
    public static let version = "0.1.0"
    let service: NodeService

    public init(service: NodeService) { self.service = service }

    public func status() async throws -> NodeStatus {
        let s = await service.host.snapshot()
        let config = service.config
        let peers = service.network.peerStatus().map { p in
            PeerView(
                member: p.member.value, role: p.role?.rawValue ?? "unknown",
                connected: p.outboundConnected || p.inboundConnections > 0,
                address: p.endpoint?.description ?? config.peers[p.member.value]?.description)
        }
        let sync: SyncView
        switch s.syncState {
        case .synced: sync = SyncView(state: .synced)
        case .catchingUp(let target): sync = SyncView(state: .catchingUp, targetHeight: target?.value)
        case .isolated: sync = SyncView(state: .isolated)
        }
        return NodeStatus(
            chainID: service.chain.chainID.hash.hex, suite: service.chain.suite.name,
            member: MemberView(id: config.member, role: config.role.rawValue), height: s.height.value,
            round: s.round.value, lastBlockHash: s.height.value > 0 ? s.lastBlockHash.hex : nil,
            lastBlockTimeMillis: s.height.value > 0 ? s.lastBlockTime : nil, peers: peers,
            validators: s.validators.map {
                ValidatorView(member: $0.member.value, publicKey: Hex.encode($0.publicKey))
            },
            sync: sync, mempoolSize: s.mempoolSize, version: Self.version)
    }

    public func health() async -> NodeHealth {
        let s = await service.host.snapshot()
        var reasons: [String] = []
        if let fault = s.storageFault { reasons.append("storage: \(fault.code)") }
        if s.snapshotUnconfirmed { reasons.append("snapshot state not yet confirmed by a later block") }
        switch s.syncState {
        case .catchingUp: reasons.append("catching up")
        case .isolated: reasons.append("no peer reachable")
        case .synced: break
        }
        return NodeHealth(live: true, ready: reasons.isEmpty, reasons: reasons)
    }

    public func metricsText() async -> String { service.metrics.exposition() }

    public func submit(_ envelope: TransactionEnvelope, canonicalBytes: [UInt8]) async throws(SubmissionRejection)
        -> Hash
    {
        switch await service.submit(envelope, size: canonicalBytes.count) {
        case .accepted(let h), .duplicate(let h): return h
        case .rejected(let e): throw Self.rejection(e)
        }
    }

    static func rejection(_ e: NodeError) -> SubmissionRejection {
        switch e.code {
        case "mempool.busy": return .busy(retryAfterSeconds: 1)
        case "mempool.replayed": return .duplicate(e.reason)
        case "mempool.expired", "mempool.expiry_too_far": return .expired(e.reason)
        case "mempool.too_large", "transaction.malformed": return .malformed(e.reason)
        case "transaction.bad_signature": return .badSignature(e.reason)
        case "transaction.unknown_signer": return .unknownSigner(e.reason)
        case "transaction.wrong_suite": return .wrongSuite(e.reason)
        case "storage.disk_full": return .diskFull("the node's disk is full; it resumes once space returns")
        default: return .notReady(e.reason)
        }
    }

    public func waitForCommit(_ hash: Hash, timeout: Duration) async throws -> TransactionView? {
        switch await service.host.waitForCommit(hash, timeout: timeout) {
        case .committed(let c): return Self.view(c)
        case .recorded: return try await transaction(hash)
        case .notCommitted: return nil
        }
    }

    static func view(_ c: CommittedTransaction) -> TransactionView {
        TransactionView(
            hash: c.hash.hex, status: .committed, height: c.height.value, index: UInt32(c.index),
            result: ResultView(c.result),
            proof: c.proof.map {
                InclusionProofView(
                    leafIndex: $0.leafIndex, treeSize: $0.leafCount, path: $0.path.map(\.hex),
                    root: c.transactionRoot.hex)
            })
    }

    public func transaction(_ hash: Hash) async throws -> TransactionView {
        if let loc = try service.recorder.transaction(hash) {
            var proof: MerkleProof?
            var root = Hash.zero
            if let entry = try service.stores.blocks.read(height: loc.height),
                let sb = try? StoredBlock(canonicalBytes: entry.payload), loc.index < sb.block.transactions.count
            {
                proof = sb.block.inclusionProof(index: loc.index, hasher: service.chain.hasher)
                root = sb.block.header.transactionRoot
            }
            return Self.view(
                CommittedTransaction(
                    hash: hash, height: loc.height, index: loc.index, result: loc.result, proof: proof,
                    transactionRoot: root))
        }
        if await service.host.isPending(hash) { return TransactionView(hash: hash.hex, status: .pending) }
        return TransactionView(hash: hash.hex, status: .unknown)
    }

    public func block(at height: Height) async throws -> BlockView? {
        guard height.value > 0, let entry = try service.stores.blocks.read(height: height) else { return nil }
        let sb = try StoredBlock(canonicalBytes: entry.payload)
        let hasher = service.chain.hasher
        let h = sb.block.header
        let header = BlockHeaderView(
            chainID: h.chainID.hash.hex, height: h.height.value, round: h.round.value, parentHash: h.parentHash.hex,
            proposer: h.proposer.value, timestampMillis: h.timestampMillis, transactionRoot: h.transactionRoot.hex,
            stateRoot: h.stateRoot.hex, canonical: Hex.encode(h.canonicalBytes))
        // The certificate shown is the quorum certificate of this block; when a later block's commit
        // certificate committed it, that certificate plus the header chain proves finality.
        let qc = sb.commitCertificate?.certificate ?? sb.certificate
        let named = sb.commitCertificate?.committed ?? qc.block
        let cert = CommitCertificateView(
            height: named.height.value, round: named.round.value, blockHash: named.hash.hex,
            signatures: qc.signatures.map {
                CommitSignatureView(validator: $0.signer.value, signature: Hex.encode($0.signature))
            },
            canonical: Hex.encode(qc.canonicalBytes))
        return BlockView(
            height: h.height.value, hash: sb.block.hash(using: hasher).hex, header: header, commitCertificate: cert,
            transactions: sb.block.transactions.map { $0.hash(using: hasher).hex })
    }
}

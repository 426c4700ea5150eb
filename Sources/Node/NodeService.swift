import ChainCore
import ChainCrypto
import Consensus
import Foundation
import Ledger
import Logging
import NIOCore
import ServiceLifecycle
import Storage
import Transport
import X509

/// One replica as a swift-service-lifecycle `Service`: opens the data directory and replays it
/// (`open`), then runs the peer network, the inbound pump and block sync until graceful shutdown
/// (SIGTERM/SIGINT), when it lets the in-flight block write finish, closes peers and stores.
public final class NodeService: Service, Sendable {
    public let config: NodeConfig
    public let chain: ChainContext
    public let host: ReplicaHost
    public let network: PeerNetwork
    public let metrics: NodeMetrics
    let stores: NodeStores
    let logger: Logger
    let admission: TransactionAdmission
    let links: LinkFilter
    /// Writes committed blocks to the state store and serves what it has not written yet.
    let recorder: StateRecorder

    /// Loads genesis and keys, opens and replays the stores, builds the transport. No sockets yet.
    public init(config: NodeConfig, metrics: NodeMetrics = NodeMetrics(), logger: Logger) throws {
        self.config = config
        self.metrics = metrics
        self.logger = logger
        let (genesis, chainID) = try Genesis.load(path: config.genesis) { CryptoSuites.suite($0).hasher }
        let chain = try ChainContext.make(genesis: genesis, chainID: chainID)
        self.chain = chain
        let member = try config.memberID
        guard genesis.member(member) != nil else {
            throw NodeError(code: "config.unknown_member", reason: "\(member) is not a member in genesis")
        }
        if config.role == .validator && !chain.genesisSchedule.set(at: Height(1)).contains(member) {
            logger.notice("\(member) is not a genesis validator; it follows the chain until a validator change adds it")
        }
        let signer = try CryptoSuites.suite(chain.suite).signingKey(
            pkcs8PEM: try PrivateKeyFile.read(path: config.keys.signingKey))
        guard signer.publicKey == (try genesis.member(member)?.signingKeyBytes) else {
            throw NodeError(
                code: "config.key_mismatch", reason: "the signing key does not match \(member)'s key in genesis")
        }
        let stores = try NodeStores.open(dataDir: config.dataDir, hasher: chain.hasher, logger: logger)
        self.stores = stores
        let recovered = try RecoveredChain.recover(chain: chain, stores: stores, logger: logger)

        let tls = try TLSIdentity(
            certificatePEM: try String(contentsOfFile: config.keys.tlsCertificate, encoding: .utf8),
            privateKeyPEM: try PrivateKeyFile.read(path: config.keys.tlsKey),
            trustRootsPEM: try String(contentsOfFile: config.keys.caCertificate, encoding: .utf8))
        var peers: [MemberID: PeerEndpoint] = [:]
        for (id, address) in config.peers {
            peers[try MemberID(id)] = PeerEndpoint(host: address.host, port: address.port)
        }
        // Every member role may link; which peers count (validators) is decided by consensus.
        let allRoles = Set(ChainCrypto.MemberRole.allCases)
        let network = try PeerNetwork(
            configuration: PeerNetworkConfiguration(
                localMember: member, tls: tls, listenHost: config.listen.peer.host, listenPort: config.listen.peer.port,
                peers: peers, policy: LinkPolicy(inboundRoles: allRoles)),
            authorizer: ConsortiumPeerAuthorizer(
                verifier: try ConsortiumCertificateVerifier(
                    rootCertificatePEM: try String(contentsOfFile: config.keys.caCertificate, encoding: .utf8))),
            logger: logger)
        self.network = network
        self.admission = TransactionAdmission(
            chainID: chain.chainID, suite: chain.suite, verifier: chain.verifier, hasher: chain.hasher,
            memberKeys: MemberKeyDirectory(chain.memberKeys), transactionBytesMax: config.mempool.transactionBytesMax,
            verifiedSignatures: recovered.executor.verifiedSignatures)
        let links = LinkFilter(dataDir: config.dataDir)
        self.links = links
        let recorder = StateRecorder(store: stores.state)
        self.recorder = recorder
        self.host = ReplicaHost(
            identity: NodeIdentity(member: member, role: config.role, signer: signer), chain: chain, stores: stores,
            network: network, metrics: metrics, logger: logger, mempoolLimits: config.mempool, recovered: recovered,
            stateApplied: try stores.state.appliedHeight() ?? Height(0), links: links, admission: admission,
            recorder: recorder)
    }

    public func run() async throws {
        try await network.start()
        let height = await host.snapshot().height
        logger.info(
            "node \(config.member) (\(config.role.rawValue)) chain \(chain.chainID.hash.short) at height \(height); peer port \(config.listen.peer), api \(config.listen.api)"
        )
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.pumpInbound() }
            group.addTask { await self.syncLoop() }
            group.addTask { await self.peerGauge() }
            // Runs until SIGTERM/SIGINT (or the group is cancelled).
            try? await gracefulShutdown()
            logger.info("shutting down: finishing in-flight work")
            await host.stop()
            await network.shutdown()
            group.cancelAll()
        }
        stores.close()
        logger.info("stopped")
    }

    // MARK: - Inbound

    func pumpInbound() async {
        for await message in network.inbound {
            if Task.isCancelled { break }
            if links.isBlocked(message.from) { continue }
            let wire: NodeWireMessage
            do { wire = try NodeWireMessage(canonicalBytes: message.bytes) } catch {
                logger.warning("malformed message from \(message.from): \(error)")
                continue
            }
            switch (message.kind, wire) {
            case (.message, .consensus(let bytes)):
                await host.consensusMessage(from: message.from, bytes: bytes)
            case (.message, .transactions(let envelopes)):
                let admission = self.admission
                let host = self.host
                Task {
                    let results = await admission.verify(batch: envelopes)
                    let ok = results.compactMap { try? $0.get() }
                    if !ok.isEmpty { _ = await host.admit(ok, local: false) }
                }
            case (.request, .syncRequest(let from, let countMax)):
                let blocks = BlockSync.serve(from: from, countMax: Int(countMax), store: stores.blocks)
                let tip = stores.blocks.lastHeight ?? Height(0)
                _ = network.respond(
                    to: message, with: NodeWireMessage.syncResponse(tip: tip, blocks: blocks).canonicalBytes)
            default:
                logger.debug("unexpected message kind from \(message.from)")
            }
        }
    }

    // MARK: - Sync

    /// Catches up from peers before starting consensus, then keeps checking: a node that fell
    /// behind (partition, slow disk) fetches verified blocks and, for a validator, restarts its
    /// core on the new tip. Observers follow the chain this way all the time.
    func syncLoop() async {
        let peers = config.peers.keys.sorted().compactMap { try? MemberID($0) }
        var started = false
        var next = 0
        let startDeadline = ContinuousClock.now + .seconds(3)
        var lastConsensus: Height?
        var syncedLastPass = false
        while !Task.isCancelled {
            var progressed = false
            var anyAnswer = false
            var bestTip = Height(0)
            // A running core fills small gaps itself and may trail the fastest peer by a few
            // heights for a moment under load; the loop takes over only from a core that made no
            // progress of its own since the last pass (a second ago), or right after a batch.
            let consensus = await host.consensusHeight
            let coreStalled = syncedLastPass || lastConsensus.map { consensus <= $0 } ?? true
            lastConsensus = consensus
            for i in 0..<peers.count {
                let peer = peers[(next + i) % max(peers.count, 1)]
                guard let (tip, n) = await fetch(from: peer, coreStalled: coreStalled) else { continue }
                anyAnswer = true
                bestTip = max(bestTip, tip)
                if n > 0 {
                    progressed = true
                    next = (next + i) % peers.count
                    break
                }
            }
            syncedLastPass = progressed
            let height = await host.snapshot().height
            if !started {
                if (anyAnswer && !progressed && bestTip <= height) || ContinuousClock.now > startDeadline && !progressed
                {
                    started = true
                    await host.noteSyncState(anyAnswer || peers.isEmpty ? .synced : .isolated)
                    await host.startCore()
                } else {
                    await host.noteSyncState(.catchingUp(target: bestTip))
                }
                if !progressed { try? await Task.sleep(for: .milliseconds(100)) }
                continue
            }
            if progressed {
                await host.noteSyncState(.catchingUp(target: bestTip))
                if config.role == .validator { await host.restartCoreAfterSync() }
                continue
            }
            await host.noteSyncState(anyAnswer || peers.isEmpty ? .synced : .isolated)
            try? await Task.sleep(for: config.role == .observer ? .milliseconds(200) : .seconds(1))
        }
    }

    /// Asks `peer` for blocks above our height; commits what verifies. Returns the peer's tip and
    /// how many blocks were committed, nil when the peer did not answer. A validator whose core
    /// runs commits a batch only when `coreStalled` and clearly behind.
    func fetch(from peer: MemberID, coreStalled: Bool) async -> (Height, Int)? {
        if links.isBlocked(peer) { return nil }
        let height = await host.snapshot().height
        // A validator whose core runs only syncs when clearly behind (the core fetches the last
        // few blocks itself); ask for the tip first with countMax 0.
        let request = NodeWireMessage.syncRequest(from: height.next, countMax: UInt32(BlockSync.batchBlocksMax))
        let reply: [UInt8]
        do {
            reply = try await network.request(request.canonicalBytes, to: peer, timeout: .seconds(3))
        } catch {
            return nil
        }
        guard case .syncResponse(let tip, let blocks)? = try? NodeWireMessage(canonicalBytes: reply) else {
            logger.warning("bad sync response from \(peer)")
            return nil
        }
        await host.notePeerTip(peer, tip)
        let running = await host.isCoreRunning
        if running {
            let consensus = await host.consensusHeight
            if !coreStalled || tip.value <= consensus.value + 2 { return (tip, 0) }
        }
        do {
            return (tip, try await host.applySyncBatch(blocks, from: peer, peerTip: tip))
        } catch let error as NodeError where error.code == StorageError.diskFull {
            return (tip, 0)  // paused until space returns (logged once by the replica)
        } catch {
            logger.warning("sync from \(peer) refused: \(error)")
            return (tip, 0)
        }
    }

    func peerGauge() async {
        while !Task.isCancelled {
            let connected = network.peerStatus().filter { $0.outboundConnected || $0.inboundConnections > 0 }.count
            metrics.peersConnected.set(Double(connected))
            try? await Task.sleep(for: .seconds(1))
        }
    }

    // MARK: - Submission

    /// Verifies (signature, limits) on the caller's task — requests run in parallel across cores —
    /// then admits through the replica.
    public func submit(_ envelope: TransactionEnvelope, size: Int) async -> AdmissionVerdict {
        switch admission.verify(envelope, size: size) {
        case .failure(let e):
            metrics.rejectedTransactions.increment()
            return .rejected(e)
        case .success(let tx):
            return await host.admit([tx], local: true)[0]
        }
    }
}

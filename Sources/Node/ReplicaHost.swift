import ChainCore
import Consensus
import Foundation
import Ledger
import Logging
import Storage
import Transport

/// The one owner of a replica's state: the consensus core, the application, the mempool and the
/// stores. Every input (peer message, timer, submission, sync batch) runs through this actor, and
/// effects are performed in the order the core returns them — persist → send → apply — so a vote
/// never leaves before the safety data it depends on is on disk, and a client is never told
/// "committed" before the block is synced to the block store.
public actor ReplicaHost {
    public let identity: NodeIdentity
    public let chain: ChainContext
    let stores: NodeStores
    let network: PeerNetwork
    let metrics: NodeMetrics
    let logger: Logger
    let admission: TransactionAdmission
    let links: LinkFilter

    var core: Replica?
    var executor: BlockExecutor
    var mempool: Mempool
    /// The last committed block, its certificate and the validator schedule after it.
    var tip: ChainTip
    var tipHash: Hash
    var syncState: SyncState = .catchingUp(target: nil)
    var peerTips: [MemberID: Height] = [:]
    /// Submitters waiting for their transaction's commit (`?wait=commit`); resumed with what the
    /// commit knows, or nil when their wait ends first.
    var waiters: [Hash: [CheckedContinuation<CommittedTransaction?, Never>]] = [:]
    /// When each locally submitted transaction was admitted (commit latency), bounded.
    var admittedAt: [Hash: ContinuousClock.Instant] = [:]
    var gossipOutbox: [TransactionEnvelope] = []
    var gossipScheduled = false
    /// The round timer (`RoundTimer`): the core re-arms it every round.
    var roundTimer = RoundTimer()
    /// The idle-pacing wake-up of a leader with nothing to propose yet.
    var proposalTimer: Task<Void, Never>?
    /// The last round this replica timed out early because the validator it waited on had lost
    /// its link (`timeOutEarlyIfLinkLost`).
    var earlyTimeoutRound: Round?
    var storageFault: NodeError?
    /// The last height handed to the recorder: at start the state store's applied height (which
    /// may be above the block store after a truncated tail), so blocks at or below it are not
    /// recorded again.
    var stateApplied: Height
    var stopping = false
    /// Started from a snapshot of a stopped node: the snapshot's state root is confirmed only when
    /// the next block (whose header names it, checked by sync) commits on it.
    var snapshotUnconfirmed: Bool
    /// A validator node outside the validator set in force (not yet added, or removed): it follows
    /// the chain by sync and starts voting at the height a change adds it.
    var followingOutsideTheSet = false
    /// Commits the core returned and `drainCommits` has not taken yet, in order.
    var pendingCommits: [Commit] = []
    /// The task applying `pendingCommits` (nil when none is queued).
    var commitDrain: Task<Void, Never>?
    /// Safety-record saves and consensus messages, in the core's order, off this actor.
    let outbox = ConsensusOutbox()
    /// Where block-store flushes run, off this actor (`syncBlocks`).
    let blockSyncQueue = DispatchQueue(label: "creditchain.block-store-sync")
    /// Records committed blocks in the state store off this actor (`StateRecorder`).
    let recorder: StateRecorder
    /// Probes for free space after a full disk.
    var resumeProbe: Task<Void, Never>?
    /// The last committed blocks (at most twice `recentCommittedMax`), for `startCore`.
    var recentCommitted: [CommittedBlock]
    /// The uncommitted blocks the core asked to keep (`Effect.persistBlock`), by hash: each safety
    /// record is saved with the chains that end at its high certificate's block and at its last
    /// vote's block (`SafetyRecord`).
    /// Pruned at each commit; at most `pendingBlocksMax`, lowest heights dropped first.
    var pendingBlocks: [Hash: LinkedBlock] = [:]
    static let pendingBlocksMax = 256

    public private(set) var lastCommitLatencies: [Duration] = []

    /// Whether the node follows the tip.
    public enum SyncState: Sendable, Equatable {
        case catchingUp(target: Height?)
        case synced
        case isolated
    }

    init(
        identity: NodeIdentity, chain: ChainContext, stores: NodeStores, network: PeerNetwork, metrics: NodeMetrics,
        logger: Logger, mempoolLimits: MempoolLimits, recovered: RecoveredChain, stateApplied: Height,
        links: LinkFilter, admission: TransactionAdmission, recorder: StateRecorder
    ) {
        self.stateApplied = stateApplied
        self.recorder = recorder
        self.identity = identity
        self.links = links
        self.chain = chain
        self.stores = stores
        self.network = network
        self.metrics = metrics
        self.logger = logger
        self.admission = admission
        admission.memberKeys.replace(from: recovered.executor.committed, genesisKeys: chain.memberKeys)
        self.executor = recovered.executor
        self.tip = recovered.tip
        self.tipHash = recovered.tipHash
        self.snapshotUnconfirmed = recovered.snapshotUnconfirmed
        self.recentCommitted = recovered.recentCommitted
        var pool = Mempool(limits: mempoolLimits, height: recovered.tip.block.header.height)
        for (h, hashes, envelopes) in recovered.recentTransactions {
            pool.committed(hashes, envelopes: envelopes, at: h)
        }
        self.mempool = pool
        metrics.committedHeight.set(Double(recovered.tip.block.header.height.value))
        recorder.setFailureHandler { [weak self] error in Task { await self?.recordFailed(error) } }
    }

    // MARK: - Lifecycle

    var committedHeight: Height { tip.block.header.height }

    static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// Starts (or restarts) the consensus core from the committed tip (validators only).
    func startCore() {
        guard identity.role == .validator, !stopping, storageFault == nil else { return }
        guard tip.schedule.set(at: committedHeight.next).contains(identity.member) else {
            if !followingOutsideTheSet {
                logger.notice("not in the validator set at height \(committedHeight.next); following as an observer")
                followingOutsideTheSet = true
            }
            core = nil
            return
        }
        if followingOutsideTheSet {
            logger.notice("in the validator set from height \(committedHeight.next); voting")
            followingOutsideTheSet = false
        }
        // A save still queued would make the record read here older than a vote already signed.
        if outbox.settle() {
            storageFailed(NodeError(code: "storage.safety_write_failed", reason: "a safety-record save failed"))
            return
        }
        let record: SafetyRecord?
        do {
            record = try stores.safety.load().map { try SafetyRecord(canonicalBytes: $0) }
        } catch {
            logger.critical("safety record unreadable: \(error); refusing to vote")
            storageFault = NodeError(code: "storage.safety_unreadable", reason: "\(error)")
            return
        }
        var replica = Replica(
            config: chain.consensusConfig, member: identity.member, signer: identity.signer, hasher: chain.hasher,
            verifier: chain.verifier, tip: tip, safetyData: record?.data, recoveredBlocks: record?.blocks ?? [],
            recentCommitted: recentCommitted)
        let pending = mempool.batch(countMax: chain.consensusConfig.mempoolMax, bytesMax: Int.max)
        core = nil
        var effects = replica.step(Input(.start, nowMillis: Self.nowMillis()))
        if !pending.isEmpty {
            effects += replica.step(Input(.transactionsAvailable(pending.map(\.envelope)), nowMillis: Self.nowMillis()))
        }
        core = replica
        perform(effects)
        metrics.round.set(Double(replica.currentRound.value))
    }

    /// Drops the consensus core and its timers (a storage fault, a sync batch, leaving the set).
    func stopCore() {
        core = nil
        roundTimer.cancel()
        proposalTimer?.cancel()
        proposalTimer = nil
    }

    /// Stops taking inputs; called by the service on shutdown. The outbox's queued saves and sends
    /// and a commit whose block-store flush is in flight finish first (the actor serialises
    /// everything else), so the last writes are complete before the stores close.
    func stop() async {
        stopping = true
        await outbox.settled()
        await commitDrain?.value
        pendingCommits.removeAll()
        // Records in flight, then the batch still being collected (a failure only means a longer
        // replay on start).
        await recorder.settled()
        if storageFault == nil { try? recorder.recordQueued() }
        recorder.close()
        roundTimer.cancel()
        proposalTimer?.cancel()
        proposalTimer = nil
        resumeProbe?.cancel()
        resumeProbe = nil
        core = nil
        for (_, list) in waiters { for c in list { c.resume(returning: nil) } }
        waiters = [:]
    }

    // MARK: - Inputs

    func step(_ event: Input.Event) {
        guard !stopping, var replica = core else { return }
        core = nil
        let effects = replica.step(Input(event, nowMillis: Self.nowMillis()))
        core = replica
        perform(effects)
        if let round = core?.currentRound { metrics.round.set(Double(round.value)) }
    }

    func consensusMessage(from: MemberID, bytes: [UInt8]) {
        step(.messageBytes(from: from, bytes))
    }

    func timerFired(_ round: Round) {
        step(.timerFired(round))
    }

    /// The round timer's task: sleeps until the deadline, which later rounds move on meanwhile,
    /// and fires it once it is reached.
    func runRoundTimer(generation: Int) async {
        while let (round, delayMillis) = roundTimer.due(generation: generation, nowMillis: Self.nowMillis()) {
            if delayMillis > 0 {
                try? await Task.sleep(for: .milliseconds(delayMillis))
            } else {
                timerFired(round)
            }
        }
    }

    /// Admits transactions whose signatures were verified by the caller. Returns one verdict each.
    func admit(_ txs: [VerifiedTransaction], local: Bool) -> [AdmissionVerdict] {
        if stopping { return txs.map { _ in .rejected(NodeError(code: "node.stopping", reason: "shutting down")) } }
        if let fault = storageFault {
            return txs.map { _ in .rejected(fault) }
        }
        var verdicts: [AdmissionVerdict] = []
        var fresh: [TransactionEnvelope] = []
        for tx in txs {
            let v = mempool.admit(tx)
            verdicts.append(v)
            switch v {
            case .accepted(let h):
                // Its signature check is already in `VerifiedSignatures` (admission noted it), so
                // execution skips it while that is still the signer's key.
                fresh.append(tx.envelope)
                if local {
                    if admittedAt.count < 100_000 { admittedAt[h] = .now }
                    gossipOutbox.append(tx.envelope)
                }
            case .rejected(let e):
                metrics.rejectedTransactions.increment()
                if e.code == "mempool.busy" { metrics.busyRejections.increment() }
            case .duplicate: break
            }
        }
        metrics.mempoolSize.set(Double(mempool.count))
        metrics.mempoolBytes.set(Double(mempool.bytes))
        if !fresh.isEmpty { step(.transactionsAvailable(fresh)) }
        if !gossipOutbox.isEmpty && !gossipScheduled {
            // Sent as soon as this actor is free: submissions admitted meanwhile share the batch.
            gossipScheduled = true
            Task { [weak self] in await self?.flushGossip() }
        }
        return verdicts
    }

    /// Sends locally admitted transactions, batched, to the leaders of the current round and the
    /// next two: a current leader still waiting out idle pacing gets them too. Extra receivers
    /// cost no extra signature check, since a node checks each transaction once, at admission or
    /// else at execution (`VerifiedSignatures`).
    func flushGossip() {
        gossipScheduled = false
        guard !gossipOutbox.isEmpty else { return }
        let batch = gossipOutbox
        gossipOutbox.removeAll(keepingCapacity: true)
        let targets = gossipTargets()
        for chunkStart in stride(from: 0, to: batch.count, by: NodeWireMessage.gossipBatchMax) {
            let chunk = Array(batch[chunkStart..<min(chunkStart + NodeWireMessage.gossipBatchMax, batch.count)])
            let bytes = NodeWireMessage.transactions(chunk).canonicalBytes
            for t in targets { send(bytes, to: t) }
        }
    }

    func gossipTargets() -> [MemberID] {
        let set = tip.schedule.set(at: committedHeight.next)
        var out: [MemberID] = []
        if let core {
            var r = core.currentRound
            for _ in 0..<3 {
                let l = core.leader(for: r, parentHash: core.highQC.block.hash) ?? set.leader(for: r)
                if l != identity.member && !out.contains(l) { out.append(l) }
                r = r.next
            }
        }
        if out.isEmpty {
            // Observers, lone validators, and leaders that cannot be elected yet: every other validator.
            out = set.validators.map(\.member).filter { $0 != identity.member }
        }
        return out
    }

    /// Sends to a validator unless the link is blocked (tests' partitions). Nonisolated: the
    /// outbox queue calls it too.
    nonisolated func send(_ bytes: [UInt8], to member: MemberID) {
        guard !links.isBlocked(member) else { return }
        _ = network.send(bytes, to: member)
    }

    // MARK: - Effects (persist → send → apply, in the core's order)

    /// Performs effects in the order the core returned them, except commits: those are queued and
    /// applied in height order by `drainCommits`, after this step. So neither the step's vote nor
    /// the next message waits for the block-store flush and state-store write of a commit. Saves
    /// of the safety record and sends run in their order on the `outbox` queue, so a vote still
    /// leaves only after its record is durable, while this actor goes on (executing the block,
    /// counting the votes that arrive meanwhile).
    ///
    /// An effect may step the core again (`.execute` reports its result at once), and a commit
    /// that nested step returns extends one the outer step returned after its `.execute`: queued
    /// in the order performed, it would come first (that crashed a validator on "non-contiguous
    /// commit" under load). The core's commits cover consecutive, disjoint height ranges in the
    /// order it made them, so ordering the queue by height restores that order.
    func perform(_ effects: [Effect]) {
        // Saves and sends go to the outbox in runs, each run one queue item; a run is handed over
        // before a block executes, since that steps the core again and queues effects that must
        // come after it.
        var run: [ConsensusOutbox.Operation] = []
        func flush() {
            outbox.submit(run, store: stores.safety, metrics: metrics) { [weak self] error in
                Task { await self?.safetySaveFailed(error) }
            }
            run.removeAll()
        }
        defer { flush() }
        for effect in effects {
            if stopping { return }
            switch effect {
            case .persistSafety(let data):
                // The sends after it wait for it on the outbox. A failed save stops them and then
                // consensus (a vote could otherwise be signed twice after a crash). The chains to
                // the high certificate's block and the voted block go with it (`SafetyRecord`).
                run.append(.save(SafetyRecord.bytes(for: data, pending: pendingBlocks, committed: committedHeight)))
            case .send(let to, let message), .share(let to, let message):
                let bytes = NodeWireMessage.consensus(message.canonicalBytes).canonicalBytes
                run.append(.send { self.send(bytes, to: to) })
                // Only a vote to the next leader holds up the round; a copy (`share`) does not.
                if case .send(_, .vote) = effect { timeOutEarlyIfLinkLost(to) }
            case .broadcast(let message):
                let bytes = NodeWireMessage.consensus(message.canonicalBytes).canonicalBytes
                let members = tip.schedule.set(at: committedHeight.next).validators.map(\.member).filter {
                    $0 != identity.member
                }
                run.append(.send { for m in members { self.send(bytes, to: m) } })
            case .persistBlock(let linked):
                // Made durable with the next safety record that votes for it or locks on it or above.
                keepPending(linked)
            case .execute(let block):
                flush()
                let hash = block.hash(using: chain.hasher)
                if let (root, updates) = executor.executeSpeculatively(block, hash: hash) {
                    step(.executed(blockHash: hash, stateRoot: root, validatorUpdates: updates))
                } else {
                    logger.warning("cannot execute block \(block.header.height): parent unknown")
                }
            case .commit(let commit):
                pendingCommits.append(commit)
                if commitDrain == nil {
                    commitDrain = Task { await self.drainCommits() }
                }
            case .setTimer(let round, let atMillis):
                if roundTimer.set(round, atMillis: atMillis) {
                    let generation = roundTimer.generation
                    roundTimer.task = Task { [weak self] in await self?.runRoundTimer(generation: generation) }
                }
                // Electing the round's leader walks the reputation window: only when a link is lost.
                if let core, network.hasLostAnyLink(),
                    let leader = core.leader(for: round, parentHash: core.highQC.block.hash)
                {
                    timeOutEarlyIfLinkLost(leader)
                }
            case .scheduleProposal(let round, let atMillis):
                proposalTimer?.cancel()
                let delay = max(0, atMillis - Self.nowMillis())
                proposalTimer = Task { [weak self] in
                    try? await Task.sleep(for: .milliseconds(delay))
                    guard !Task.isCancelled else { return }
                    await self?.step(.proposalDue(round))
                }
            case .evidence(let evidence):
                logger.warning("equivocation by \(evidence.offender) in round \(evidence.round)")
            }
        }
    }

    /// Keeps an uncommitted block the core asked to persist, until it commits; the next safety
    /// record whose last vote or high certificate is it or a descendant carries it to disk.
    func keepPending(_ linked: LinkedBlock) {
        guard linked.block.header.height > committedHeight else { return }
        pendingBlocks[linked.block.hash(using: chain.hasher)] = linked
        if pendingBlocks.count > Self.pendingBlocksMax {
            let lowest = pendingBlocks.min { $0.value.block.header.height < $1.value.block.header.height }
            if let lowest { pendingBlocks[lowest.key] = nil }
        }
    }

    /// Times the current round out at once when the validator it waits on — its leader, or the
    /// next leader this replica just sent its vote to — had a link to this node and has lost it
    /// (its process died or its connections reset), instead of waiting out the round timer. A dead
    /// leader otherwise costs a full timeout for its own round and another, 1.5 times longer, for
    /// the round before it, whose votes went to it. Timing out is always safe; when a link is lost
    /// only between two live validators, the others still make the quorum. The core decides
    /// nothing from links: this only moves its `timerFired` earlier.
    func timeOutEarlyIfLinkLost(_ member: MemberID) {
        guard let round = core?.currentRound, earlyTimeoutRound != round, member != identity.member,
            network.hasLostLink(member)
        else { return }
        earlyTimeoutRound = round
        logger.debug("round \(round) timed out early: no link to \(member)")
        Task { [weak self] in await self?.timerFired(round) }
    }

    // MARK: - Commit

    /// Applies the queued commits in order: appends their blocks to the block store, flushes it
    /// once for all of them off this actor (while it goes on with votes and proposals), then
    /// executes and records each block and releases its waiters. A commit the core returns
    /// meanwhile waits for the next round of this loop: group commit under load.
    func drainCommits() async {
        defer { commitDrain = nil }
        while !pendingCommits.isEmpty, !stopping, storageFault == nil {
            let plan = Self.appendPlan(pendingCommits, after: committedHeight)
            pendingCommits.removeAll(keepingCapacity: true)
            var batches: [(blocks: [(StoredBlock, Hash)], schedule: ValidatorSchedule?)] = []
            var next = committedHeight.next
            do {
                for step in plan {
                    let appended = try appendBlocks(step.blocks, from: next)
                    next = Height(next.value + UInt64(appended.count))
                    batches.append((appended, step.schedule))
                }
                if batches.contains(where: { !$0.blocks.isEmpty }) {
                    let start = ContinuousClock.now
                    try await syncBlocks()
                    metrics.fsyncDuration.record(ContinuousClock.now - start)
                }
                if stopping { return }
                for batch in batches { try finishCommitted(batch.blocks, schedule: batch.schedule) }
                // Bounded: a recorder that falls behind (a slow disk) holds the next commits back.
                if recorder.backlogTransactions > StateRecorder.backlogTransactionsMax { await recorder.settled() }
            } catch {
                pendingCommits.removeAll()
                storageFailed(Self.storageError(error, otherwise: "storage.commit_failed"))
                return
            }
        }
    }

    /// The blocks to append for queued commits, commit by commit: in height order (see `perform`),
    /// without the heights at or below `committed` (a commit overlapping one already applied, as
    /// after a core restart), each commit's last block carrying its commit certificate.
    static func appendPlan(_ commits: [Commit], after committed: Height) -> [(
        blocks: [StoredBlock], schedule: ValidatorSchedule
    )] {
        func first(_ c: Commit) -> UInt64 { c.blocks.first?.block.header.height.value ?? 0 }
        var next = committed.next
        var plan: [(blocks: [StoredBlock], schedule: ValidatorSchedule)] = []
        for commit in commits.sorted(by: { first($0) < first($1) }) {
            var stored: [StoredBlock] = []
            for (i, cb) in commit.blocks.enumerated() where cb.block.header.height >= next {
                stored.append(
                    StoredBlock(
                        block: cb.block, certificate: cb.certificate,
                        commitCertificate: i == commit.blocks.count - 1 ? commit.certificate : nil))
            }
            next = Height(next.value + UInt64(stored.count))
            plan.append((stored, commit.schedule))
        }
        return plan
    }

    /// Flushes the block store on its own queue; this actor serves other work meanwhile.
    func syncBlocks() async throws {
        let blocks = stores.blocks
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            blockSyncQueue.async {
                do {
                    try blocks.sync()
                    c.resume()
                } catch {
                    c.resume(throwing: error)
                }
            }
        }
    }

    /// Appends verified blocks (ascending, starting at committed height + 1), syncs them, then
    /// applies them. For sync batches, which run when no commit is being applied.
    func commitStored(_ blocks: [StoredBlock], schedule: ValidatorSchedule?) throws {
        guard !blocks.isEmpty else { return }
        let appended = try appendBlocks(blocks, from: committedHeight.next)
        let syncStart = ContinuousClock.now
        do { try stores.blocks.sync() } catch {
            try? stores.blocks.truncate(after: committedHeight.value == 0 ? nil : committedHeight)
            throw Self.storageError(error, otherwise: "storage.block_append_failed")
        }
        metrics.fsyncDuration.record(ContinuousClock.now - syncStart)
        try finishCommitted(appended, schedule: schedule)
    }

    /// Appends blocks (ascending from `first`) to the block store without syncing them. On a
    /// failure everything above the committed height is dropped again, so the same blocks (from
    /// consensus or sync) can be appended once the store accepts writes.
    func appendBlocks(_ blocks: [StoredBlock], from first: Height) throws -> [(StoredBlock, Hash)] {
        var appended: [(StoredBlock, Hash)] = []
        do {
            for sb in blocks {
                precondition(sb.height.value == first.value + UInt64(appended.count), "non-contiguous commit")
                let hash = sb.block.hash(using: chain.hasher)
                try stores.blocks.append(height: sb.height, payload: sb.canonicalBytes, sync: false)
                appended.append((sb, hash))
            }
        } catch {
            if (stores.blocks.lastHeight ?? Height(0)) > committedHeight {
                try? stores.blocks.truncate(after: committedHeight.value == 0 ? nil : committedHeight)
            }
            throw Self.storageError(error, otherwise: "storage.block_append_failed")
        }
        return appended
    }

    /// Executes and records blocks that are durable in the block store, and releases the waiters
    /// of their transactions.
    func finishCommitted(_ appended: [(StoredBlock, Hash)], schedule: ValidatorSchedule?) throws {
        guard let firstBlock = appended.first else { return }
        let wasInTheSet = tip.schedule.set(at: committedHeight.next).contains(identity.member)
        var keysChanged = false
        for (sb, hash) in appended {
            let execStart = ContinuousClock.now
            let (execution, txHashes) = executor.commit(sb.block, hash: hash)
            keysChanged = keysChanged || executor.committed.changesSigningKeys(execution.writes)
            let scheduleAfter = tip.schedule.adding(
                execution.validatorUpdates, decidedAt: sb.height, heightWindow: chain.consensusConfig.heightWindow)
            if sb.height > stateApplied {
                // The block is durable and executed: it is committed whatever happens to the state
                // store. The recorder writes it with others in one batch, off this actor, and serves
                // its transactions and writes until then (a failed record stays queued until
                // `recordQueued` succeeds). Replay from the block store covers unrecorded blocks
                // after a crash.
                recorder.enqueue(
                    StateRecorder.Block(
                        height: sb.height, execution: execution, transactionHashes: txHashes,
                        schedule: execution.validatorUpdates.isEmpty ? nil : scheduleAfter))
                stateApplied = sb.height
            }
            tip = ChainTip(
                block: sb.block, certificate: sb.certificate, stateRoot: execution.stateRoot, schedule: scheduleAfter)
            tipHash = hash
            rememberCommitted(
                CommittedBlock(block: sb.block, hash: hash, certificate: sb.certificate, stateRoot: execution.stateRoot)
            )
            mempool.committed(txHashes, envelopes: sb.block.transactions, at: sb.height)
            metrics.blockExecution.record(ContinuousClock.now - execStart)
            metrics.committedBlocks.increment()
            metrics.committedTransactions.increment(by: Int64(txHashes.count))
            let now = ContinuousClock.now
            // The block's inclusion proofs, built once if anyone waits on one of its transactions.
            var proofs: [MerkleProof]?
            for (index, h) in txHashes.enumerated() {
                if let t = admittedAt.removeValue(forKey: h) {
                    metrics.commitLatency.record(now - t)
                    if lastCommitLatencies.count >= 4096 { lastCommitLatencies.removeFirst(2048) }
                    lastCommitLatencies.append(now - t)
                }
                guard let list = waiters.removeValue(forKey: h) else { continue }
                if proofs == nil { proofs = sb.block.inclusionProofs(hasher: chain.hasher) }
                let committed = CommittedTransaction(
                    hash: h, height: sb.height, index: index,
                    result: index < execution.results.count
                        ? execution.results[index] : TransactionResult(code: "internal.result_missing"),
                    proof: proofs?[index], transactionRoot: sb.block.header.transactionRoot)
                for c in list { c.resume(returning: committed) }
            }
        }
        if let schedule { tip.schedule = schedule }
        if !pendingBlocks.isEmpty {
            let committed = committedHeight
            pendingBlocks = pendingBlocks.filter { $0.value.block.header.height > committed }
        }
        if identity.role == .validator, wasInTheSet, !followingOutsideTheSet,
            !tip.schedule.set(at: committedHeight.next).contains(identity.member)
        {
            // Removed by a validator change: stop voting from the height it takes effect. The same
            // whether the change came through consensus or through sync (which stopped the core).
            logger.notice("left the validator set at height \(committedHeight.next); following as an observer")
            followingOutsideTheSet = true
            stopCore()
        }
        if snapshotUnconfirmed {
            snapshotUnconfirmed = false
            logger.info("the snapshot's state root is confirmed by block \(firstBlock.0.height)")
        }
        if keysChanged { admission.memberKeys.replace(from: executor.committed, genesisKeys: chain.memberKeys) }
        metrics.committedHeight.set(Double(committedHeight.value))
        metrics.mempoolSize.set(Double(mempool.count))
        metrics.mempoolBytes.set(Double(mempool.bytes))
    }

    /// Keeps the last committed blocks for a (re)started core: it serves them to lagging peers
    /// and elects leaders from their history (`LeaderReputation`).
    func rememberCommitted(_ block: CommittedBlock) {
        recentCommitted.append(block)
        if recentCommitted.count > Self.recentCommittedMax * 2 {
            recentCommitted.removeFirst(recentCommitted.count - Self.recentCommittedMax)
        }
    }

    static let recentCommittedMax = 64

    /// A state-store record failed on the recorder's thread: stop as for any storage fault (a
    /// full disk resumes by itself once `recordQueued` succeeds).
    func recordFailed(_ error: any Error) {
        guard storageFault == nil, !stopping else { return }
        storageFailed(Self.storageError(error, otherwise: "storage.state_apply_failed"))
    }

    // MARK: - Storage faults

    /// A node error for a storage failure: `storage.disk_full` when the disk is full (the node
    /// resumes by itself once space returns), else `otherwise` with the failure in the reason.
    static func storageError(_ error: any Error, otherwise code: String) -> NodeError {
        if let e = error as? NodeError { return e }
        if let e = error as? StorageError, e.code == StorageError.diskFull {
            return NodeError(code: StorageError.diskFull, reason: e.path.map { "\($0): \(e.reason)" } ?? e.reason)
        }
        return NodeError(code: code, reason: "\(error)")
    }

    /// A safety-record save on the outbox failed: nothing queued after it was sent.
    func safetySaveFailed(_ error: any Error) {
        guard storageFault == nil else { return }
        storageFailed(Self.storageError(error, otherwise: "storage.safety_write_failed"))
    }

    /// Stops voting and admitting on a storage failure; reads keep being served. A full disk is
    /// probed every second and the node resumes once space returns; any other fault needs a
    /// restart (the store's state is unknown).
    func storageFailed(_ error: NodeError) {
        let diskFull = error.code == StorageError.diskFull
        logger.critical(
            "storage failure: \(error); consensus stopped and transactions refused\(diskFull ? " until space returns" : " until restart")"
        )
        storageFault = error
        stopCore()
        pendingCommits.removeAll()
        guard diskFull, resumeProbe == nil else { return }
        resumeProbe = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                guard let self, await self.tryResume() else { continue }
                return
            }
        }
    }

    /// Resumes after a full disk when the data directory has room again and every committed
    /// block's state is recorded. Returns true when the node resumed (or stops anyway).
    func tryResume() -> Bool {
        guard !stopping, storageFault?.code == StorageError.diskFull else {
            resumeProbe = nil
            return true
        }
        let free = FreeSpace.bytesAvailable(at: stores.state.path) ?? 0
        guard free >= Self.resumeFreeBytesMin else { return false }
        do { try recorder.recordQueued() } catch { return false }
        storageFault = nil
        resumeProbe = nil
        outbox.resume()
        logger.notice("storage writable again (\(free >> 20) MiB free); resuming at height \(committedHeight)")
        startCore()
        return true
    }

    /// Free space a full disk must regain before the node resumes.
    static let resumeFreeBytesMin: UInt64 = 1 << 20

    // MARK: - Sync

    /// Verifies a batch fetched from a peer and commits it. Returns how many blocks were committed.
    func applySyncBatch(_ blocks: [StoredBlock], from peer: MemberID, peerTip: Height) async throws -> Int {
        peerTips[peer] = peerTip
        // Commits from consensus go first (they may cover some of these heights).
        while let drain = commitDrain { await drain.value }
        if let fault = storageFault { throw fault }
        let fresh = blocks.drop { $0.height <= committedHeight }
        guard !fresh.isEmpty else { return 0 }
        let verified = try BlockSync.verify(
            Array(fresh), after: tip.block.header, tipHash: tipHash, schedule: tip.schedule, executor: executor,
            chain: chain)
        guard !verified.isEmpty else { return 0 }
        if core != nil {
            // The running core's speculative blocks build on heights these replace, and the
            // executor's head is reset below: stop it; the sync loop restarts it on the new tip.
            stopCore()
        }
        let wasBehind = committedHeight
        do { try commitStored(verified, schedule: nil) } catch {
            let e = Self.storageError(error, otherwise: "storage.commit_failed")
            storageFailed(e)
            throw e
        }
        executor.resetHead()
        metrics.syncedBlocks.increment(by: Int64(verified.count))
        logger.info("synced blocks \(wasBehind.next)...\(committedHeight) from \(peer)")
        return verified.count
    }

    func noteSyncState(_ s: SyncState) { syncState = s }

    func notePeerTip(_ peer: MemberID, _ h: Height) { peerTips[peer] = h }

    /// Restarts the core on the current tip after sync moved it (a validator that fell behind).
    func restartCoreAfterSync() {
        guard identity.role == .validator else { return }
        startCore()
    }

    var isCoreRunning: Bool { core != nil }

    /// The height consensus has committed: the core's, which runs ahead of `committedHeight`
    /// while a commit's block-store flush is in flight.
    var consensusHeight: Height { max(committedHeight, core?.committedHeight ?? committedHeight) }

    // MARK: - Reads

    /// Waits (bounded) for `hash` to commit. A pending transaction's waiter is resumed by the
    /// commit itself with its height, result and proof; otherwise the state store is asked.
    func waitForCommit(_ hash: Hash, timeout: Duration) async -> CommitWait {
        if !mempool.contains(hash), (try? recorder.transaction(hash)) != nil { return .recorded }
        guard !stopping else { return .notCommitted }
        let timeoutTask = Task { [weak self] in
            // Cancelled when the commit answered the wait: no hop back onto this actor then.
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            await self?.expireWaiters(hash)
        }
        let committed = await withCheckedContinuation { (c: CheckedContinuation<CommittedTransaction?, Never>) in
            waiters[hash, default: []].append(c)
        }
        timeoutTask.cancel()
        if let committed { return .committed(committed) }
        return (try? recorder.transaction(hash)) != nil ? .recorded : .notCommitted
    }

    /// How a wait for a commit ended.
    enum CommitWait: Sendable {
        /// Committed while waiting, as the commit saw it.
        case committed(CommittedTransaction)
        /// Committed and recorded in the state store (look it up there).
        case recorded
        case notCommitted
    }

    func expireWaiters(_ hash: Hash) {
        // Resume every waiter of this hash; those whose transaction committed meanwhile were already
        // resumed and removed. Waiters re-check the store, so an early wake-up is harmless.
        if let list = waiters.removeValue(forKey: hash) { for c in list { c.resume(returning: nil) } }
    }

    func isPending(_ hash: Hash) -> Bool { mempool.contains(hash) }

    func snapshot() -> ReplicaSnapshot {
        ReplicaSnapshot(
            height: committedHeight, round: core?.currentRound ?? tip.block.header.round, lastBlockHash: tipHash,
            lastBlockTime: tip.block.header.timestampMillis,
            validators: tip.schedule.set(at: committedHeight.next).validators, syncState: syncState,
            mempoolSize: mempool.count, storageFault: storageFault, peerTips: peerTips, coreRunning: core != nil,
            snapshotUnconfirmed: snapshotUnconfirmed)
    }
}

/// A transaction as its waiters learn it at commit: where it is, its result, its inclusion proof.
public struct CommittedTransaction: Sendable, Equatable {
    public var hash: Hash
    public var height: Height
    /// Position in its block, from 0.
    public var index: Int
    public var result: TransactionResult
    public var proof: MerkleProof?
    public var transactionRoot: Hash
}

/// What `status` and `health` read from the replica in one hop.
public struct ReplicaSnapshot: Sendable {
    public var height: Height
    public var round: Round
    public var lastBlockHash: Hash
    public var lastBlockTime: Int64
    public var validators: [Validator]
    public var syncState: ReplicaHost.SyncState
    public var mempoolSize: Int
    public var storageFault: NodeError?
    public var peerTips: [MemberID: Height]
    public var coreRunning: Bool
    /// Started from a snapshot whose state root no committed block above it has named yet.
    public var snapshotUnconfirmed: Bool
}

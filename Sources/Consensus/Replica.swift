import ChainCore
import Ledger

/// One validator's consensus: two-chain HotStuff (Jolteon / DiemBFT v4) as a pure state machine.
///
/// The shell calls `step(_:)` with every input and performs the returned effects in order
/// (persist → send → apply). The replica does no I/O, reads no clock and draws no randomness, so
/// the same inputs always give the same effects (the cluster simulator relies on it).
/// See docs/consensus.md for the protocol and its safety argument.
public struct Replica: Sendable {
    /// A block in the pending tree (or the committed root).
    struct Node: Sendable {
        let block: Block
        let hash: Hash
        let justify: QuorumCertificate
        let transactionHashes: [Hash]
        var certificate: QuorumCertificate?
        var stateRoot: Hash?
        var updates: [ValidatorSetUpdate] = []
        var children: [Hash] = []
        var reference: BlockReference {
            BlockReference(height: block.header.height, round: block.header.round, hash: hash)
        }
    }

    struct PoolEntry: Sendable {
        let hash: Hash
        let transaction: TransactionEnvelope
        let size: Int
    }

    public let member: MemberID
    public let config: ConsensusConfig
    private let hasher: any ChainHasher
    private let verifier: any ChainVerifier
    public private(set) var safety: SafetyRules

    public private(set) var schedule: ValidatorSchedule
    private var reputation: LeaderReputation
    private var blocks: [Hash: Node] = [:]
    private var rootHash: Hash
    public private(set) var committedHeight: Height
    private var committedCache: [Hash: LinkedBlock] = [:]
    private var committedOrder: [Hash] = []
    private var committedOrderHead = 0

    public private(set) var highQC: QuorumCertificate
    public private(set) var highTC: TimeoutCertificate?
    public private(set) var currentRound = Round(0)
    private var pendingCommit: QuorumCertificate?
    private var verifiedQCs: Set<VoteData> = []

    private var proposedRound: Round?
    /// The round whose idle proposal wake-up is scheduled (one `scheduleProposal` per round).
    private var scheduledProposal: Round?
    private var timedOutRound: Round?
    private var myTimeout: TimeoutVote?
    private var consecutiveTimeouts = 0
    private var awaitingVote: Proposal?
    private var pendingProposals: [Hash: Proposal] = [:]
    private var votesSeen: [Round: [MemberID: Vote]] = [:]
    private var voteTallies: [VoteData: [ValidatorSignature]] = [:]
    private var timeouts: [Round: [MemberID: TimeoutVote]] = [:]
    private var proposalsSeen: [Round: [MemberID: (BlockReference, [UInt8])]] = [:]
    private var reportedEvidence: Set<[UInt8]> = []
    private var fetches: [Hash: (at: Int64, attempt: Int)] = [:]
    private var recoveredBlocks: [LinkedBlock]
    private var syncSent: [MemberID: Int64] = [:]

    private var pool: [PoolEntry] = []
    private var poolHashes: Set<Hash> = []
    private var recentlyCommitted: Set<Hash> = []
    private var recentlyCommittedOrder: [Hash] = []
    private static let recentlyCommittedMax = 16_384
    private static let pendingProposalsMax = 32
    private static let fetchesMax = 16
    private static let fetchAttemptsMax = 6

    private var now: Int64 = 0
    /// This replica's proposal: it depends on no safety data, so it goes out ahead of the saves.
    private var proposals: [Effect] = []
    private var persists: [Effect] = []
    private var sends: [Effect] = []
    private var actions: [Effect] = []

    /// Starts from `tip` (genesis, or the last committed block after a restart) and the persisted
    /// safety data, if any.
    public init(
        config: ConsensusConfig, member: MemberID, signer: any ChainSigner, hasher: any ChainHasher,
        verifier: any ChainVerifier, tip: ChainTip, safetyData: SafetyData?, recoveredBlocks: [LinkedBlock] = [],
        recentCommitted: [CommittedBlock] = []
    ) {
        self.recoveredBlocks = recoveredBlocks
        self.config = config
        self.member = member
        self.hasher = hasher
        self.verifier = verifier
        let data = safetyData ?? SafetyData(genesisQC: tip.certificate)
        self.safety = SafetyRules(member: member, chainID: config.chainID, signer: signer, data: data)
        self.schedule = tip.schedule
        var reputation = LeaderReputation(window: config.reputationWindow, lag: config.reputationLagHeights)
        for committed in recentCommitted.suffix(reputation.capacity)
        where committed.block.header.height <= tip.block.header.height {
            reputation.record(committed.block, certificate: committed.certificate)
        }
        self.reputation = reputation
        let hash = tip.block.hash(using: hasher)
        rootHash = hash
        committedHeight = tip.block.header.height
        var root = Node(
            block: tip.block, hash: hash,
            justify: tip.certificate, transactionHashes: [], certificate: tip.certificate, stateRoot: tip.stateRoot)
        root.updates = []
        blocks[hash] = root
        highQC = data.highQC.round > tip.certificate.round ? data.highQC : tip.certificate
        highTC = data.highTC
        verifiedQCs.insert(tip.certificate.voteData)
        verifiedQCs.insert(data.highQC.voteData)
        // The recent committed blocks (from the shell's block store) serve block requests of
        // lagging validators after a restart; each is linked to its parent's certificate.
        var parentCertificate: QuorumCertificate?
        for committed in recentCommitted.suffix(config.committedCacheMax)
        where committed.block.header.height <= committedHeight {
            let height = committed.block.header.height
            let justify =
                height == Height(1) ? QuorumCertificate.genesis(config.genesisHash) : parentCertificate
            if let justify, justify.block.hash == committed.block.header.parentHash {
                let linked = LinkedBlock(block: committed.block, justify: justify)
                remember(linked, hash: committed.hash)
                if committed.hash == hash {
                    blocks[hash] = Node(
                        block: tip.block, hash: hash, justify: justify, transactionHashes: [],
                        certificate: tip.certificate, stateRoot: tip.stateRoot)
                }
            }
            parentCertificate = committed.certificate
        }
    }

    /// Testing hook: make SafetyRules skip its voting rules (see `SafetyRules`).
    public mutating func setUnsafeSkipVotingRules(_ on: Bool) { safety.unsafeSkipVotingRules = on }

    /// The committed tip's hash.
    public var committedHash: Hash { rootHash }
    /// Transactions waiting in the pool.
    public var poolCount: Int { pool.count }

    // MARK: - Step

    /// Feeds one input; returns the effects to perform in order.
    public mutating func step(_ input: Input) -> [Effect] {
        now = input.nowMillis
        switch input.event {
        case .start:
            // Blocks persisted before the crash (every block is persisted before it is voted on, so
            // a certificate's block survives on at least f + 1 honest replicas).
            for linked in recoveredBlocks.sorted(by: { $0.block.header.height < $1.block.header.height }) {
                let header = linked.block.header
                guard header.height > committedHeight, linked.justify.block.hash == header.parentHash,
                    isWellFormed(linked.block), verifyQC(linked.justify)
                else { continue }
                insert(linked, hash: linked.block.hash(using: hasher))
                processQC(linked.justify, from: nil)
            }
            recoveredBlocks = []
            let startRound = max(highQC.round, highTC?.round ?? Round(0)).next
            enterRound(max(startRound, safety.data.lastVotedRound), viaTimeout: false)
        case .message(let from, let message):
            receive(message, from: from)
        case .messageBytes(let from, let bytes):
            if let message = try? ConsensusMessage.decode(bytes) { receive(message, from: from) }
        case .timerFired(let round):
            timerFired(round)
        case .executed(let hash, let root, let updates):
            executed(hash, root: root, updates: updates)
        case .transactionsAvailable(let transactions):
            admit(transactions)
        case .proposalDue(let round):
            if round == currentRound { tryPropose() }
        }
        let out = proposals + persists + sends + actions
        proposals.removeAll(keepingCapacity: true)
        persists.removeAll(keepingCapacity: true)
        sends.removeAll(keepingCapacity: true)
        actions.removeAll(keepingCapacity: true)
        return out
    }

    private mutating func receive(_ message: ConsensusMessage, from: MemberID) {
        switch message {
        case .proposal(let p): onProposal(p, from: from)
        case .vote(let v): onVote(v)
        case .timeout(let t): onTimeout(t, from: from)
        case .blockRequest(let r): onBlockRequest(r, from: from)
        case .blockResponse(let r): onBlockResponse(r, from: from)
        case .syncInfo(let info): onSyncInfo(info, from: from)
        }
    }

    // MARK: - Validator sets

    private func set(at height: Height) -> ValidatorSet { schedule.set(at: height) }

    /// The leader of `round` for a block extending `parentHash` (`LeaderReputation` over the set in
    /// force at the block's height): elected from the parent's ancestry — the uncommitted blocks
    /// and the committed tip from this replica's tree, each with the certificate its child on
    /// that path carries, then the committed history. Nil when the parent is not held (or the
    /// history is), so the leader cannot be elected here yet.
    public func leader(for round: Round, parentHash: Hash) -> MemberID? {
        guard let parent = blocks[parentHash] else { return nil }
        let parentHeight = parent.block.header.height
        let set = set(at: parentHeight.next)
        let window = UInt64(max(config.reputationWindow, 0))
        let lag = config.reputationLagHeights
        guard window > 0, parentHeight.value >= lag &+ window else { return set.leader(for: round) }
        let anchor = parentHeight.value - lag
        let low = anchor - window + 1
        var electorate = LeaderReputation.Electorate(set)
        var covered: UInt64 = 0
        var node = parent
        var certificate: QuorumCertificate?  // certifies `node`, from its child on this path
        while true {
            let h = node.block.header.height.value
            if h >= low && h <= anchor {
                guard let certificate else { return nil }
                electorate.mark(node.block, certifiedBy: certificate)
                covered += 1
            }
            if h <= low || node.hash == rootHash { break }
            certificate = node.justify
            guard let up = blocks[node.block.header.parentHash] else { return nil }
            node = up
        }
        let rootHeight = committedHeight.value
        if low < rootHeight {
            for h in low...min(anchor, rootHeight - 1) {
                guard let participants = reputation.participants(at: Height(h)) else { return nil }
                for p in participants { electorate.mark(p) }
                covered += 1
            }
        }
        guard covered == window else { return nil }
        return LeaderReputation.elect(round, electorate)
    }

    /// The set that times out rounds and elects the next leader: the one in force just above the
    /// committed height.
    private var roundSet: ValidatorSet { schedule.set(at: committedHeight.next) }

    // MARK: - Rounds

    private func timeoutDuration() -> Int64 {
        config.roundTimeoutMillis << Int64(min(consecutiveTimeouts, config.timeoutBackoffMax))
    }

    private mutating func enterRound(_ round: Round, viaTimeout: Bool) {
        guard round > currentRound else { return }
        currentRound = round
        consecutiveTimeouts = viaTimeout ? consecutiveTimeouts + 1 : 0
        timedOutRound = nil
        myTimeout = nil
        awaitingVote = nil
        let keepFrom = Round(round.value &- 1)
        votesSeen = votesSeen.filter { $0.key >= keepFrom }
        voteTallies = voteTallies.filter { $0.key.block.round >= keepFrom }
        timeouts = timeouts.filter { $0.key >= round }
        proposalsSeen = proposalsSeen.filter { $0.key >= keepFrom }
        actions.append(.setTimer(round: round, atMillis: now + timeoutDuration()))
        tryPropose()
        retryPendingProposals()
    }

    private mutating func timerFired(_ round: Round) {
        guard round == currentRound else { return }
        localTimeout()
        actions.append(.setTimer(round: round, atMillis: now + timeoutDuration()))
        // Re-ask for missing blocks, from the next peer; give up on a target after a few tries
        // (a block of a branch nobody kept), a later certificate will name what is needed.
        // Sorted: a replica's output never depends on dictionary order (seeds replay across processes).
        for target in fetches.keys.sorted() {
            guard let state = fetches[target] else { continue }
            if state.attempt >= Self.fetchAttemptsMax || blocks[target] != nil {
                fetches[target] = nil
                continue
            }
            requestBlocks(target, peer: nil, attempt: state.attempt + 1)
        }
    }

    private mutating func localTimeout() {
        if timedOutRound == currentRound, let mine = myTimeout {
            sends.append(.broadcast(.timeout(mine)))
            return
        }
        let tc = highTC.flatMap { $0.round.next == currentRound ? $0 : nil }
        guard let (data, timeout) = safety.timeout(round: currentRound, highQC: highQC, lastTC: tc) else { return }
        persists.append(.persistSafety(data))
        timedOutRound = currentRound
        myTimeout = timeout
        sends.append(.broadcast(.timeout(timeout)))
        recordTimeout(timeout)
    }

    // MARK: - Certificates

    private mutating func verifyQC(_ qc: QuorumCertificate) -> Bool {
        if qc.isGenesis { return qc.block.hash == config.genesisHash && qc.round == Round(0) }
        if verifiedQCs.contains(qc.voteData) { return true }
        // Our own vote for this very data is valid, and so is every vote for it we checked as it
        // arrived (a proposal often overtakes the last votes its certificate holds): those
        // signatures need not be checked again.
        var known: [ValidatorSignature] = []
        if let own = safety.data.lastVote, own.data == qc.voteData {
            known.append(ValidatorSignature(signer: member, signature: own.signature))
        }
        if let seen = votesSeen[qc.round] {
            for v in seen.values where v.data == qc.voteData {
                known.append(ValidatorSignature(signer: v.voter, signature: v.signature))
            }
        }
        guard
            (try? qc.verify(chainID: config.chainID, validators: set(at: qc.height), verifier: verifier, known: known))
                != nil
        else {
            return false
        }
        if verifiedQCs.count > 4096 {
            let floor = Round(currentRound.value &- config.roundWindow)
            verifiedQCs = verifiedQCs.filter { $0.block.round >= floor }
        }
        verifiedQCs.insert(qc.voteData)
        return true
    }

    private mutating func verifyTC(_ tc: TimeoutCertificate) -> Bool {
        guard verifyQC(tc.highQC) else { return false }
        return (try? tc.verify(chainID: config.chainID, validators: roundSet, verifier: verifier)) != nil
    }

    /// Adopts a verified certificate: raises the high QC, records commits, advances the round.
    private mutating func processQC(_ qc: QuorumCertificate, from: MemberID?) {
        if var node = blocks[qc.block.hash], node.certificate == nil {
            node.certificate = qc
            blocks[qc.block.hash] = node
        }
        if qc.round > highQC.round { highQC = qc }
        if let c = qc.voteData.committed, c.height > committedHeight,
            pendingCommit.map({ c.height > ($0.voteData.committed?.height ?? Height(0)) }) ?? true
        {
            pendingCommit = qc
        }
        if blocks[qc.block.hash] == nil && qc.height > committedHeight {
            requestBlocks(qc.block.hash, peer: from, attempt: 0)
        }
        tryCommit()
        if qc.round >= currentRound { enterRound(qc.round.next, viaTimeout: false) }
    }

    private mutating func processTC(_ tc: TimeoutCertificate, from: MemberID?) {
        processQC(tc.highQC, from: from)
        if tc.round > (highTC?.round ?? Round(0)) { highTC = tc }
        if tc.round >= currentRound { enterRound(tc.round.next, viaTimeout: true) }
    }

    // MARK: - Proposals

    /// `own`: this replica's proposal, stepped in directly as it is made.
    private mutating func onProposal(_ p: Proposal, from: MemberID, own: Bool = false) {
        let header = p.block.header
        guard header.chainID == config.chainID, header.height > committedHeight else {
            // Old heights: the certificate may still be news.
            if header.chainID == config.chainID, p.justify.round > highQC.round, verifyQC(p.justify) {
                processQC(p.justify, from: from)
            }
            return
        }
        if header.round.value > currentRound.value &+ config.roundWindow {
            // Far ahead: store nothing for that round; only a valid certificate moves us.
            if verifyQC(p.justify) { processQC(p.justify, from: from) }
            return
        }
        let validators = set(at: header.height)
        // The leader is elected from the parent's ancestry; a proposal whose parent we lack is
        // checked once the parent arrives (`retryPendingProposals`).
        let parentKnown = blocks[header.parentHash] != nil
        guard header.height.value > 0,
            !parentKnown || leader(for: header.round, parentHash: header.parentHash) == header.proposer,
            let key = validators.publicKey(of: header.proposer)
        else {
            // Not the leader we elect, or we have not committed the history that elects it: its
            // certificate still moves us, so we keep committing and catch up.
            if p.justify.round > highQC.round, verifyQC(p.justify) { processQC(p.justify, from: from) }
            return
        }
        let hash = p.block.hash(using: hasher)
        let reference = BlockReference(height: header.height, round: header.round, hash: hash)
        func signed(_ r: BlockReference, _ signature: [UInt8]) -> Bool {
            verifier.verify(
                signature: signature, message: Proposal.signingBytes(r, chainID: config.chainID), publicKey: key)
        }
        // This replica's own proposal was just signed here, and one straight from its proposer came
        // over that validator's mutually authenticated link (`from` is the transport's identity of
        // the sender): the signature adds nothing to either. It is checked when the proposal comes
        // any other way, and before a proposal serves as evidence.
        guard own || from == header.proposer || signed(reference, p.signature) else { return }
        if let (seen, seenSignature) = proposalsSeen[header.round]?[header.proposer] {
            if seen.hash != hash, signed(seen, seenSignature), signed(reference, p.signature) {
                report(
                    .conflictingProposals(
                        proposer: header.proposer, first: seen, firstSignature: seenSignature, second: reference,
                        secondSignature: p.signature))
            }
        } else if header.round.value &+ 1 >= currentRound.value {
            proposalsSeen[header.round, default: [:]][header.proposer] = (reference, p.signature)
        }
        guard isWellFormed(p.block),
            p.justify.block.hash == header.parentHash, p.justify.height.next == header.height,
            p.justify.round < header.round
        else { return }
        if let tc = p.timeoutCertificate {
            guard tc.round.next == header.round, verifyTC(tc) else { return }
        }
        guard verifyQC(p.justify) else { return }
        processQC(p.justify, from: from)
        if let tc = p.timeoutCertificate { processTC(tc, from: from) }
        guard blocks[header.parentHash] != nil else {
            if header.round >= currentRound { stash(p, hash: hash) }
            requestBlocks(header.parentHash, peer: from, attempt: 0)
            return
        }
        insert(LinkedBlock(block: p.block, justify: p.justify), hash: hash)
        tryVote(p, hash: hash)
    }

    /// Structural checks every block must pass before it enters the tree.
    private func isWellFormed(_ block: Block) -> Bool {
        guard block.transactions.count <= config.blockTransactionsMax else { return false }
        var bytes = 0
        for tx in block.transactions {
            bytes += tx.canonicalBytes.count
            if bytes > config.blockBytesMax { return false }
        }
        guard set(at: block.header.height).contains(block.header.proposer) else { return false }
        return (try? block.validateBody(hasher: hasher)) != nil
    }

    private mutating func stash(_ p: Proposal, hash: Hash) {
        if pendingProposals.count >= Self.pendingProposalsMax,
            let lowest = pendingProposals.min(by: {
                ($0.value.block.header.round, $0.key) < ($1.value.block.header.round, $1.key)
            })
        {
            pendingProposals[lowest.key] = nil
        }
        pendingProposals[hash] = p
    }

    private mutating func retryPendingProposals() {
        guard !pendingProposals.isEmpty else { return }
        let ready = pendingProposals.filter { blocks[$0.value.block.header.parentHash] != nil }
        pendingProposals = pendingProposals.filter {
            blocks[$0.value.block.header.parentHash] == nil && $0.value.block.header.round >= currentRound
        }
        for (hash, p) in ready.sorted(by: {
            ($0.value.block.header.height, $0.key) < ($1.value.block.header.height, $1.key)
        }) where leader(for: p.block.header.round, parentHash: p.block.header.parentHash) == p.block.header.proposer {
            insert(LinkedBlock(block: p.block, justify: p.justify), hash: hash)
            tryVote(p, hash: hash)
        }
    }

    @discardableResult
    private mutating func insert(_ linked: LinkedBlock, hash: Hash) -> Bool {
        if blocks[hash] != nil { return true }
        let header = linked.block.header
        guard var parent = blocks[header.parentHash], header.height == parent.block.header.height.next,
            header.round > parent.block.header.round,
            header.height.value <= committedHeight.value &+ config.heightWindow,
            blocks.count < config.pendingBlocksMax
        else { return false }
        var node = Node(
            block: linked.block, hash: hash, justify: linked.justify,
            transactionHashes: linked.block.transactions.map { $0.hash(using: hasher) })
        if highQC.block.hash == hash { node.certificate = highQC }
        blocks[hash] = node
        parent.children.append(hash)
        if parent.certificate == nil { parent.certificate = linked.justify }
        blocks[header.parentHash] = parent
        persists.append(.persistBlock(linked))
        if parent.stateRoot != nil { actions.append(.execute(linked.block)) }
        return true
    }

    private mutating func tryVote(_ p: Proposal, hash: Hash) {
        let header = p.block.header
        guard header.round == currentRound, let parent = blocks[header.parentHash], blocks[hash] != nil else { return }
        guard let parentRoot = parent.stateRoot else {
            awaitingVote = p
            return
        }
        awaitingVote = nil
        guard header.stateRoot == parentRoot, header.timestampMillis > parent.block.header.timestampMillis,
            header.timestampMillis <= now + config.timestampDriftMaxMillis
        else { return }
        let reference = BlockReference(height: header.height, round: header.round, hash: hash)
        guard
            let (data, vote) = safety.vote(
                block: reference, justify: p.justify, tc: p.timeoutCertificate, highQC: highQC)
        else { return }
        persists.append(.persistSafety(data))
        // The next leader collects the votes into the certificate its proposal carries. When
        // that certificate commits transactions, every other validator gets a copy too and forms
        // the same certificate itself, one message before that proposal could bring it: it
        // learns the commit (and answers the clients waiting on it) a network hop and a leader's
        // block write sooner. The copies cost no extra signature checks: a replica checks votes
        // only until a certificate forms, and then takes the proposal's certificate for the same
        // vote data as checked. A certificate that commits no transaction is news to nobody
        // before the next proposal: its copies would only cost messages.
        let copies = commitsTransactions(vote.data)
        let nextLeader = leader(for: header.round.next, parentHash: hash)
        if let nextLeader, nextLeader != member {
            sends.append(.send(to: nextLeader, .vote(vote)))
            if copies {
                for v in set(at: header.height).validators.map(\.member) where v != member && v != nextLeader {
                    sends.append(.share(to: v, .vote(vote)))
                }
            }
        } else if nextLeader == nil || copies {
            // The next leader cannot be elected yet (every validator gets the vote), or this
            // replica leads the next round and the others want the copies.
            sends.append(.broadcast(.vote(vote)))
        }
        onVote(vote, own: true)
    }

    /// Whether a certificate on this vote data commits a block with transactions: the block it
    /// commits or an uncommitted ancestor carries some (or is not held here, so it may).
    private func commitsTransactions(_ data: VoteData) -> Bool {
        guard var cursor = data.committed?.hash else { return false }
        while true {
            guard let node = blocks[cursor] else { return true }
            if node.block.header.height <= committedHeight { return false }
            if !node.block.transactions.isEmpty { return true }
            cursor = node.block.header.parentHash
        }
    }

    private mutating func tryPropose() {
        // A round already voted or timed out in (possibly before a crash) gets no new proposal.
        // The leader votes for its own proposal in the same step, but the proposal leaves before
        // that vote is durable: a crash in between can let the restarted leader propose again
        // in this round, which is evidence against itself and harmless (one vote per validator
        // per round; `SafetyRules.signProposal`).
        guard proposedRound != currentRound, currentRound > safety.data.lastVotedRound else { return }
        let parentRef = highQC.block
        let height = parentRef.height.next
        guard let parent = blocks[parentRef.hash] else {
            requestBlocks(parentRef.hash, peer: nil, attempt: 0)
            return
        }
        guard leader(for: currentRound, parentHash: parentRef.hash) == member else { return }
        guard let parentRoot = parent.stateRoot,
            height.value <= committedHeight.value &+ config.heightWindow
        else { return }
        var tc: TimeoutCertificate?
        if highQC.round.next != currentRound {
            guard let last = highTC, last.round.next == currentRound else { return }
            tc = last
        }
        // Transactions not already in an uncommitted ancestor.
        var inFlight = Set<Hash>()
        var cursor = parent
        while cursor.hash != rootHash {
            inFlight.formUnion(cursor.transactionHashes)
            guard let up = blocks[cursor.block.header.parentHash] else { break }
            cursor = up
        }
        var chosen = [TransactionEnvelope]()
        var bytes = 0
        for entry in pool where !inFlight.contains(entry.hash) {
            if chosen.count >= config.blockTransactionsMax || bytes + entry.size > config.blockBytesMax { break }
            chosen.append(entry.transaction)
            bytes += entry.size
        }
        // Idle pacing: with nothing to propose and nothing to carry to commit, wait until the
        // parent is `idleBlockIntervalMillis` old. New transactions (`admit`) or the wake-up retry.
        // A block's transactions commit once its child is certified, and every validator forms
        // that certificate itself from the vote copies (`Effect.share`): only a parent with
        // transactions needs a child at once, not a grandparent.
        if chosen.isEmpty, tc == nil, config.idleBlockIntervalMillis > 0, parent.block.transactions.isEmpty {
            let due = parent.block.header.timestampMillis &+ config.idleBlockIntervalMillis
            if now < due {
                if scheduledProposal != currentRound {
                    scheduledProposal = currentRound
                    actions.append(.scheduleProposal(round: currentRound, atMillis: due))
                }
                return
            }
        }
        let block = Block(
            chainID: config.chainID, height: height, round: currentRound, parentHash: parentRef.hash, proposer: member,
            timestampMillis: max(now, parent.block.header.timestampMillis + 1), stateRoot: parentRoot,
            transactions: chosen, hasher: hasher)
        let hash = block.hash(using: hasher)
        guard
            let signature = safety.signProposal(
                BlockReference(height: height, round: currentRound, hash: hash))
        else { return }
        proposedRound = currentRound
        let proposal = Proposal(block: block, justify: highQC, timeoutCertificate: tc, signature: signature)
        // The leader's vote for its own block (signed in `onProposal` below) is saved before it
        // leaves, but the proposal needs nothing saved and goes first: the others start checking
        // and executing the block while the leader's record is written (one write fewer on each
        // round's path).
        proposals.append(.broadcast(.proposal(proposal)))
        onProposal(proposal, from: member, own: true)
    }

    // MARK: - Votes

    /// `own`: the vote this replica just signed (its signature is not checked again).
    private mutating func onVote(_ v: Vote, own: Bool = false) {
        let round = v.round
        guard round.value &+ 1 >= currentRound.value, round.value <= currentRound.value &+ config.roundWindow,
            v.data.block.height > committedHeight
        else { return }
        let validators = set(at: v.data.block.height)
        // Every validator collects the votes (the next leader for its proposal, the others to
        // learn the certificate early), also for a block not held yet: a vote can overtake its
        // proposal.
        guard let key = validators.publicKey(of: v.voter) else { return }
        // A certificate for this vote data is formed here or checked already: a late vote adds
        // nothing (and is not worth a signature check).
        if verifiedQCs.contains(v.data) { return }
        if let previous = votesSeen[round]?[v.voter] {
            if previous.data != v.data,
                verifier.verify(
                    signature: v.signature, message: v.data.signingBytes(chainID: config.chainID), publicKey: key)
            {
                report(.conflictingVotes(previous, v))
            }
            return
        }
        guard
            own
                || verifier.verify(
                    signature: v.signature, message: v.data.signingBytes(chainID: config.chainID), publicKey: key)
        else { return }
        // A vote's commit data must be the one its block implies; a mismatch is dropped rather
        // than tallied apart (it could never reach a quorum with honest votes).
        votesSeen[round, default: [:]][v.voter] = v
        voteTallies[v.data, default: []].append(ValidatorSignature(signer: v.voter, signature: v.signature))
        if let tally = voteTallies[v.data], tally.count >= validators.quorum {
            let qc = QuorumCertificate(voteData: v.data, signatures: tally)
            voteTallies[v.data] = nil
            verifiedQCs.insert(v.data)
            processQC(qc, from: nil)
        }
    }

    // MARK: - Timeouts

    private mutating func onTimeout(_ t: TimeoutVote, from: MemberID) {
        let validators = roundSet
        guard let key = validators.publicKey(of: t.voter) else { return }
        if t.round.value > currentRound.value &+ config.roundWindow || t.round < currentRound {
            // Not a round we collect: only its certificates can help. A validator stuck in an
            // older round gets our certificates (once per round timeout).
            if t.round < currentRound { sendSyncInfo(to: from) }
            if t.highQC.round > highQC.round, verifyQC(t.highQC) { processQC(t.highQC, from: from) }
            if let tc = t.lastRoundCertificate, tc.round >= currentRound, verifyTC(tc) { processTC(tc, from: from) }
            return
        }
        if timeouts[t.round]?[t.voter] != nil && t.voter != member { return }
        guard t.data.highQCRound == t.highQC.round,
            verifier.verify(
                signature: t.signature, message: t.data.signingBytes(chainID: config.chainID), publicKey: key),
            verifyQC(t.highQC)
        else { return }
        if let tc = t.lastRoundCertificate {
            guard verifyTC(tc) else { return }
            processTC(tc, from: from)
        }
        processQC(t.highQC, from: from)
        guard t.round >= currentRound else { return }
        recordTimeout(t)
    }

    private mutating func recordTimeout(_ t: TimeoutVote) {
        timeouts[t.round, default: [:]][t.voter] = t
        guard let collected = timeouts[t.round] else { return }
        let validators = roundSet
        if collected.count > validators.faultsTolerated, t.round == currentRound, timedOutRound != currentRound {
            // f + 1 validators gave up on this round: at least one honest one did, so join them.
            localTimeout()
        }
        guard let all = timeouts[t.round], all.count >= validators.quorum, t.round >= currentRound,
            let best = all.values.max(by: { ($0.highQC.round, $0.voter) < ($1.highQC.round, $1.voter) })
        else { return }
        let entries = all.values.sorted { $0.voter < $1.voter }.map {
            TimeoutCertificate.Entry(signer: $0.voter, highQCRound: $0.data.highQCRound, signature: $0.signature)
        }
        processTC(TimeoutCertificate(round: t.round, entries: entries, highQC: best.highQC), from: nil)
    }

    private mutating func sendSyncInfo(to peer: MemberID) {
        guard peer != member, roundSet.contains(peer) else { return }
        if let last = syncSent[peer], now - last < config.roundTimeoutMillis { return }
        syncSent[peer] = now
        let tc = highTC.flatMap { $0.round.next == currentRound ? $0 : nil }
        sends.append(.send(to: peer, .syncInfo(SyncInfo(highQC: highQC, highTC: tc))))
    }

    private mutating func onSyncInfo(_ info: SyncInfo, from: MemberID) {
        if info.highQC.round > highQC.round, verifyQC(info.highQC) { processQC(info.highQC, from: from) }
        if let tc = info.highTC, tc.round >= currentRound, verifyTC(tc) { processTC(tc, from: from) }
    }

    // MARK: - Execution and commit

    private mutating func executed(_ hash: Hash, root: Hash, updates: [ValidatorSetUpdate]) {
        guard var node = blocks[hash], node.stateRoot == nil else { return }
        node.stateRoot = root
        node.updates = updates
        blocks[hash] = node
        for child in node.children {
            if let c = blocks[child], c.stateRoot == nil { actions.append(.execute(c.block)) }
        }
        if let p = awaitingVote, p.block.header.parentHash == hash {
            tryVote(p, hash: p.block.hash(using: hasher))
        }
        tryCommit()
        tryPropose()
    }

    private mutating func tryCommit() {
        guard let qc = pendingCommit, let target = qc.voteData.committed else { return }
        guard target.height > committedHeight else {
            pendingCommit = nil
            return
        }
        guard let certified = blocks[qc.block.hash] else {
            requestBlocks(qc.block.hash, peer: nil, attempt: 0)
            return
        }
        var chain = [Node]()
        var certificateOfNext = certified.justify
        var cursor = target.hash
        var certificates = [QuorumCertificate]()
        while cursor != rootHash {
            guard let node = blocks[cursor], node.block.header.height > committedHeight else {
                if blocks[cursor] == nil { requestBlocks(cursor, peer: nil, attempt: 0) }
                return
            }
            guard node.stateRoot != nil else { return }
            chain.append(node)
            certificates.append(certificateOfNext)
            certificateOfNext = node.justify
            cursor = node.block.header.parentHash
        }
        guard let commitCertificate = try? CommitCertificate(qc) else { return }
        chain.reverse()
        certificates.reverse()
        var committed = [CommittedBlock]()
        for (node, certificate) in zip(chain, certificates) {
            guard let root = node.stateRoot else { return }
            committed.append(
                CommittedBlock(block: node.block, hash: node.hash, certificate: certificate, stateRoot: root))
            schedule = schedule.adding(
                node.updates, decidedAt: node.block.header.height, heightWindow: config.heightWindow)
            remember(LinkedBlock(block: node.block, justify: node.justify), hash: node.hash)
            reputation.record(node.block, certificate: certificate)
            for h in node.transactionHashes { markCommitted(h) }
        }
        pendingCommit = nil
        rootHash = target.hash
        committedHeight = target.height
        pool.removeAll { recentlyCommitted.contains($0.hash) }
        poolHashes = Set(pool.map(\.hash))
        pruneTree()
        actions.append(
            .commit(Commit(blocks: committed, certificate: commitCertificate, schedule: schedule)))
    }

    private mutating func markCommitted(_ hash: Hash) {
        guard recentlyCommitted.insert(hash).inserted else { return }
        recentlyCommittedOrder.append(hash)
        if recentlyCommittedOrder.count > Self.recentlyCommittedMax {
            let drop = recentlyCommittedOrder.count / 2
            for h in recentlyCommittedOrder[0..<drop] { recentlyCommitted.remove(h) }
            recentlyCommittedOrder.removeFirst(drop)
        }
    }

    private mutating func remember(_ linked: LinkedBlock, hash: Hash) {
        committedCache[hash] = linked
        committedOrder.append(hash)
        if committedOrder.count - committedOrderHead > config.committedCacheMax {
            committedCache[committedOrder[committedOrderHead]] = nil
            committedOrderHead += 1
            if committedOrderHead > 4096 {
                committedOrder.removeFirst(committedOrderHead)
                committedOrderHead = 0
            }
        }
    }

    /// Keeps only the new root and its descendants.
    private mutating func pruneTree() {
        var keep = [Hash: Node]()
        var frontier = [rootHash]
        while let h = frontier.popLast() {
            guard let node = blocks[h] else { continue }
            keep[h] = node
            frontier.append(contentsOf: node.children)
        }
        blocks = keep
        pendingProposals = pendingProposals.filter { $0.value.block.header.height > committedHeight }
    }

    // MARK: - Block sync

    /// Asks for the chain up to `target`. `attempt` 0 is rate-limited per target (one request
    /// per round timeout); a positive attempt goes to another peer; `force` continues a catch-up.
    private mutating func requestBlocks(_ target: Hash, peer: MemberID?, attempt: Int, force: Bool = false) {
        if blocks[target] != nil { return }
        if let state = fetches[target], attempt == 0, !force, now - state.at < config.roundTimeoutMillis { return }
        if fetches[target] == nil && fetches.count >= Self.fetchesMax,
            let oldest = fetches.min(by: { ($0.value.at, $0.key) < ($1.value.at, $1.key) })
        {
            fetches[oldest.key] = nil
        }
        fetches[target] = (now, max(attempt, fetches[target]?.attempt ?? 0))
        let others = roundSet.validators.map(\.member).filter { $0 != member }
        guard !others.isEmpty else { return }
        let to: MemberID
        if let peer, peer != member, attempt == 0 {
            to = peer
        } else {
            to = others[(attempt + Int(currentRound.value % 1024)) % others.count]
        }
        let request = BlockRequest(
            target: target, fromHeight: fetchFloor(attempt: attempt), limit: UInt16(clamping: config.fetchBlocksMax))
        sends.append(.send(to: to, .blockRequest(request)))
    }

    /// Where a block request starts. A first attempt asks above the highest certified block held,
    /// so a catch-up longer than one response continues where the last one ended (responses run
    /// upwards from the request's height); a retry asks above the committed height, in case that
    /// block lies on another branch than the target.
    private func fetchFloor(attempt: Int) -> Height {
        guard attempt == 0 else { return committedHeight }
        var top = committedHeight
        for node in blocks.values where node.certificate != nil && node.block.header.height > top {
            top = node.block.header.height
        }
        return top
    }

    private mutating func onBlockRequest(_ r: BlockRequest, from: MemberID) {
        guard from != member else { return }
        var chain = [LinkedBlock]()
        var cursor = r.target
        var steps = 0
        while steps < config.pendingBlocksMax + config.committedCacheMax {
            steps += 1
            if let node = blocks[cursor] {
                guard node.block.header.height > r.fromHeight, node.block.header.height > Height(0),
                    node.justify.block.hash == node.block.header.parentHash
                else { break }
                chain.append(LinkedBlock(block: node.block, justify: node.justify))
                cursor = node.block.header.parentHash
            } else if let linked = committedCache[cursor] {
                guard linked.block.header.height > r.fromHeight else { break }
                chain.append(linked)
                cursor = linked.block.header.parentHash
            } else {
                break
            }
        }
        guard !chain.isEmpty else { return }
        let limit = max(1, min(Int(r.limit), config.fetchBlocksMax, BlockResponse.blocksMax))
        let ascending = Array(chain.reversed().prefix(limit))
        sends.append(.send(to: from, .blockResponse(BlockResponse(blocks: ascending))))
    }

    private mutating func onBlockResponse(_ r: BlockResponse, from: MemberID) {
        guard !fetches.isEmpty else { return }
        var inserted = false
        for linked in r.blocks {
            let header = linked.block.header
            guard header.chainID == config.chainID, header.height > committedHeight else { continue }
            let hash = linked.block.hash(using: hasher)
            if blocks[hash] != nil { continue }
            guard blocks[header.parentHash] != nil, linked.justify.block.hash == header.parentHash,
                isWellFormed(linked.block), verifyQC(linked.justify)
            else { break }
            guard insert(linked, hash: hash) else { break }
            inserted = true
            fetches[hash] = nil
            processQC(linked.justify, from: from)
        }
        guard inserted else { return }
        // Continue a long catch-up right away.
        for target in fetches.keys.sorted() where blocks[target] == nil {
            requestBlocks(target, peer: from, attempt: 0, force: true)
        }
        fetches = fetches.filter { blocks[$0.key] == nil }
        retryPendingProposals()
        tryCommit()
        tryPropose()
    }

    // MARK: - Transactions and evidence

    private mutating func admit(_ transactions: [TransactionEnvelope]) {
        for tx in transactions {
            guard pool.count < config.mempoolMax else { return }
            let hash = tx.hash(using: hasher)
            guard !poolHashes.contains(hash), !recentlyCommitted.contains(hash) else { continue }
            let size = tx.canonicalBytes.count
            guard size <= config.blockBytesMax else { continue }
            pool.append(PoolEntry(hash: hash, transaction: tx, size: size))
            poolHashes.insert(hash)
        }
        tryPropose()
    }

    private mutating func report(_ evidence: Evidence) {
        var key = CanonicalEncoder()
        key.value(evidence.offender)
        key.value(evidence.round)
        switch evidence {
        case .conflictingVotes: key.u8(1)
        case .conflictingProposals: key.u8(2)
        }
        guard reportedEvidence.count < 4096, reportedEvidence.insert(key.bytes).inserted else { return }
        actions.append(.evidence(evidence))
    }
}

import ChainCore
import Consensus
import Ledger

/// What to simulate: one seed, the cluster size, the fault kinds, the target height.
public struct SimulationOptions: Sendable {
    public var seed: UInt64
    public var validators: Int
    public var faults: Set<FaultKind>
    /// Every honest replica must commit at least this height (and progress after the heal).
    public var targetHeight: Int
    /// After the last heal, the target must be reached within this simulated time.
    public var livenessBoundMillis: Int64
    /// Testing hook: honest replicas skip the voting rules (the broken-variant test).
    public var unsafeVoting: Bool
    /// The application and workload `ClusterSimulation.run(_:)` runs.
    public var application: SimulatedApplication
    /// Idle pacing of empty blocks (`ConsensusConfig.idleBlockIntervalMillis`); 0 = none.
    public var idleBlockIntervalMillis: Int64

    public init(
        seed: UInt64, validators: Int = 4, faults: Set<FaultKind> = Set(FaultKind.allCases), targetHeight: Int = 50,
        livenessBoundMillis: Int64 = 120_000, unsafeVoting: Bool = false, application: SimulatedApplication = .testKV,
        idleBlockIntervalMillis: Int64 = 0
    ) {
        self.seed = seed
        self.idleBlockIntervalMillis = idleBlockIntervalMillis
        self.application = application
        self.validators = validators
        self.faults = faults
        self.targetHeight = targetHeight
        self.livenessBoundMillis = livenessBoundMillis
        self.unsafeVoting = unsafeVoting
    }
}

/// The outcome of one seed: the checkers' findings, the committed height and the trace hash.
public struct SimulationResult: Sendable {
    public var seed: UInt64
    public var validators: Int
    public var faults: Set<FaultKind>
    public var application: SimulatedApplication = .testKV
    /// S1 (agreement), S5 (state roots and results), S3 (committed transactions kept), certificate
    /// and chain checks, and the workload's application checks (C1…C7 for credit rules).
    public var safetyViolations: [String]
    /// L1: the target was not reached within the bound after the last heal.
    public var livenessFailure: String?
    /// The height every honest replica committed.
    public var committedHeight: Int
    /// FNV-1a over every step and commit: equal seeds give equal hashes.
    public var traceHash: UInt64
    public var steps: Int
    public var simulatedMillis: Int64
    public var evidenceCount: Int
    /// One line per replica at the end (round, certificates, heights), for diagnosing a failure.
    public var finalState: [String] = []
    /// The idle pacing the seed ran with (part of its replay command).
    public var idleBlockIntervalMillis: Int64 = 0
    /// Committed transactions per "kind result-code" (the workload's count).
    public var outcomes: [String: Int] = [:]

    public var passed: Bool { safetyViolations.isEmpty && livenessFailure == nil }

    /// A one-line command that replays this seed exactly.
    public var replayCommand: String {
        "swift run -c release creditchain simulate --app \(application.rawValue) --seeds 1 --start-seed \(seed) "
            + "--validators \(validators) --faults \(FaultKind.describe(faults))"
            + (idleBlockIntervalMillis > 0 ? " --block-interval-ms \(idleBlockIntervalMillis)" : "")
    }
}

/// A deterministic whole-cluster simulator over the pure consensus core: simulated network
/// (drops, delays, duplicates, reordering, partitions), crashes that lose all unpersisted state,
/// clock drift, and Byzantine replicas (equivocation, double votes, bad signatures, withholding,
/// huge rounds, Twins), with safety and liveness checkers. Same seed, same trace.
public enum ClusterSimulation {
    /// Runs one seed with the application `options.application` names.
    public static func run(_ options: SimulationOptions) -> SimulationResult {
        switch options.application {
        case .testKV: return run(options, workload: KeyValueWorkload())
        case .creditRules: return run(options, workload: CreditRulesWorkload())
        }
    }

    /// Runs one seed with a given workload (and so application).
    public static func run<Workload: SimulatedWorkload>(_ options: SimulationOptions, workload: Workload)
        -> SimulationResult
    {
        var engine = SimulationEngine(options, workload: workload)
        return engine.run()
    }
}

/// An executed block's application state, kept until its height is committed.
struct ExecutedState<App: Application>: Sendable {
    var app: App
    var height: Height
    var results: [TransactionResult]
}

/// One simulated replica: the core plus what its shell would have on disk.
struct SimulatedNode<App: Application>: Sendable {
    let member: MemberID
    let signer: SimulationSigner
    let byzantine: Bool
    var behaviours: Set<FaultKind> = []
    var replica: Replica?
    var clockOffset: Int64 = 0
    var timerGeneration = 0
    var proposalGeneration = 0
    // Persisted: survives crashes.
    var safety: SafetyData?
    var chain: [CommittedBlock] = []
    var blocks: [Hash: LinkedBlock] = [:]
    var tipApp: App
    var schedule: ValidatorSchedule
    // Volatile: lost on crash.
    var states: [Hash: ExecutedState<App>] = [:]
    var voted: Set<Hash> = []
}

struct SimulationEngine<Workload: SimulatedWorkload> {
    let options: SimulationOptions
    var workload: Workload
    var random: SimulationRandom
    let hasher = SimulationHasher()
    let verifier = SimulationVerifier()
    let chainID: ChainID
    let genesisBlock: Block
    let genesisHash: Hash
    let genesisQC: QuorumCertificate
    let validatorSet: ValidatorSet
    let config: ConsensusConfig
    var nodes: [SimulatedNode<Workload.App>] = []
    var queue = EventQueue()
    var now: Int64 = 0
    var healAt: Int64 = 0
    var healed = false
    var heightAtHeal = 0
    var side: [Int]?
    var dropRate = 0.0
    var duplicateRate = 0.0
    var trace: UInt64 = 0xCBF2_9CE4_8422_2325
    var steps = 0
    var evidenceCount = 0
    var violations: [String] = []
    var committedAt: [Hash] = []
    var rootAt: [Hash] = []
    var resultsAt: [Hash] = []

    init(_ options: SimulationOptions, workload: Workload) {
        self.options = options
        self.workload = workload
        random = SimulationRandom(seed: options.seed)
        chainID = ChainID(hasher.hash(Domain.genesis, Array("simulation-\(options.validators)".utf8)))
        let genesisApp = self.workload.genesis(chainID: chainID, seed: options.seed)
        let genesisRoot = genesisApp.stateRoot
        let header = BlockHeader.genesis(chainID: chainID, stateRoot: genesisRoot, timestampMillis: 0, hasher: hasher)
        genesisBlock = Block(header: header, transactions: [])
        genesisHash = header.hash(using: hasher)
        genesisQC = QuorumCertificate.genesis(genesisHash)
        var validators = [Validator]()
        var signers = [SimulationSigner]()
        for i in 0..<options.validators {
            var keyRandom = SimulationRandom(seed: UInt64(i) &* 7919 &+ 17)
            let signer = SimulationSigner(secret: keyRandom.next())
            signers.append(signer)
            // Member ids sort in index order.
            validators.append(
                Validator(
                    member: (try? MemberID("validator-\(i / 10)\(i % 10)")) ?? Self.never(), publicKey: signer.publicKey
                ))
        }
        guard let set = try? ValidatorSet(validators) else { preconditionFailure("valid simulated validator set") }
        validatorSet = set
        config = ConsensusConfig(
            chainID: chainID, genesisHash: genesisHash, blockTransactionsMax: 64, blockBytesMax: 64 * 1024,
            roundTimeoutMillis: 1000, timeoutBackoffMax: 3, idleBlockIntervalMillis: options.idleBlockIntervalMillis)
        let f = set.faultsTolerated
        let byzantineKinds = options.faults.filter(\.isByzantine)
        var byzantine = Set<Int>()
        if !byzantineKinds.isEmpty {
            while byzantine.count < f { byzantine.insert(random.below(options.validators)) }
        }
        for i in 0..<options.validators {
            var node = SimulatedNode(
                member: set.validators[i].member, signer: signers[i], byzantine: byzantine.contains(i),
                tipApp: genesisApp,
                schedule: ValidatorSchedule(genesis: set))
            if node.byzantine {
                let kinds = byzantineKinds.subtracting([.twins])
                node.behaviours = Set(FaultKind.allCases.filter { kinds.contains($0) && random.chance(0.6) })
            }
            if options.faults.contains(.drift) { node.clockOffset = random.between(-400, 400) }
            nodes.append(node)
        }
        if byzantineKinds.contains(.twins), let twinOf = byzantine.min() {
            var twin = nodes[twinOf]
            twin.behaviours = []
            nodes.append(twin)
        }
    }

    static func never() -> MemberID { preconditionFailure("well-formed member id") }

    func isHonest(_ i: Int) -> Bool { !nodes[i].byzantine }

    // MARK: - Run

    mutating func run() -> SimulationResult {
        let faults = options.faults
        healAt = faults.isEmpty ? 0 : random.between(3000, 12_000)
        if faults.contains(.drop) { dropRate = Double(random.between(2, 15)) / 100 }
        if faults.contains(.duplicate) { duplicateRate = 0.05 }
        scheduleFaults()
        queue.schedule(at: healAt, .heal)
        queue.schedule(at: 0, .submit)
        for i in nodes.indices { boot(i) }
        let deadline = healAt + options.livenessBoundMillis
        while let event = queue.pop() {
            if event.time > deadline { break }
            now = event.time
            handle(event)
            if healed && reachedTarget() { break }
        }
        var liveness: String?
        let heights = nodes.indices.filter(isHonest).map { nodes[$0].chain.count }
        if !(healed && reachedTarget()) {
            liveness =
                "L1: by \(now) ms (heal at \(healAt) ms) honest heights \(heights), target \(targetHeight())"
        }
        checkTransactionsKept()
        return SimulationResult(
            seed: options.seed, validators: options.validators, faults: options.faults,
            application: options.application, safetyViolations: violations,
            livenessFailure: liveness, committedHeight: heights.min() ?? 0, traceHash: trace, steps: steps,
            simulatedMillis: now, evidenceCount: evidenceCount, finalState: describeNodes(),
            idleBlockIntervalMillis: options.idleBlockIntervalMillis,
            outcomes: workload.outcomes)
    }

    func describeNodes() -> [String] {
        nodes.indices.map { i in
            let node = nodes[i]
            let role = node.byzantine ? "byzantine \(FaultKind.describe(node.behaviours))" : "honest"
            guard let r = node.replica else {
                return "node \(i) \(node.member) \(role): down, height \(node.chain.count)"
            }
            return
                "node \(i) \(node.member) \(role): round \(r.currentRound) highQC \(r.highQC.round)/\(r.highQC.height) "
                + "highTC \(r.highTC?.round.value ?? 0) lastVoted \(r.safety.data.lastVotedRound) "
                + "oneChain \(r.safety.data.oneChainRound) committed \(r.committedHeight) pool \(r.poolCount)"
        }
    }

    func targetHeight() -> Int { max(options.targetHeight, heightAtHeal + 3) }

    func reachedTarget() -> Bool {
        let target = targetHeight()
        return nodes.indices.allSatisfy { !isHonest($0) || nodes[$0].chain.count >= target }
    }

    mutating func scheduleFaults() {
        let faults = options.faults
        let n = nodes.count
        if faults.contains(.partition) {
            var t = random.between(200, 2000)
            while t < healAt {
                var sides = (0..<n).map { _ in random.below(2) }
                if random.chance(0.3) {
                    sides = Array(repeating: 0, count: n)
                    sides[random.below(n)] = 1
                }
                queue.schedule(at: t, .split(sides))
                let length = random.between(300, 3000)
                queue.schedule(at: min(t + length, healAt), .rejoin)
                t += length + random.between(200, 2000)
            }
        }
        if faults.contains(.crash) {
            var t = random.between(200, 2000)
            while t < healAt {
                let victim = random.below(n)
                queue.schedule(at: t, .crash(victim))
                let down = random.between(100, 2500)
                queue.schedule(at: min(t + down, healAt), .restart(victim))
                t += random.between(300, 2500)
            }
        }
        if faults.contains(.hugeRound) {
            for i in nodes.indices where nodes[i].behaviours.contains(.hugeRound) {
                queue.schedule(at: random.between(100, 1000), .hugeRound(i))
            }
        }
    }

    mutating func boot(_ i: Int) {
        let node = nodes[i]
        let tip: ChainTip
        if let last = node.chain.last {
            tip = ChainTip(
                block: last.block, certificate: last.certificate, stateRoot: last.stateRoot, schedule: node.schedule)
        } else {
            tip = ChainTip(
                block: genesisBlock, certificate: genesisQC, stateRoot: node.tipApp.stateRoot, schedule: node.schedule)
        }
        var replica = Replica(
            config: config, member: node.member, signer: node.signer, hasher: hasher, verifier: verifier, tip: tip,
            safetyData: node.safety,
            recoveredBlocks: node.blocks.keys.sorted().compactMap { node.blocks[$0] },
            recentCommitted: Array(node.chain.suffix(config.committedCacheMax)))
        if options.unsafeVoting && !node.byzantine { replica.setUnsafeSkipVotingRules(true) }
        nodes[i].replica = replica
        nodes[i].states = [
            tip.block.hash(using: hasher): ExecutedState(app: node.tipApp, height: tip.block.header.height, results: [])
        ]
        feed(i, .start)
    }

    mutating func handle(_ event: SimulationEvent) {
        switch event.kind {
        case .deliver(let to, let from, let message):
            guard nodes[to].replica != nil else { return }
            mix(1, UInt64(to), UInt64(from))
            if nodes[to].behaviours.contains(.doubleVote), case .proposal(let p) = message { doubleVote(to, p) }
            feed(to, .message(from: nodes[from].member, message))
        case .timer(let i, let round, let generation):
            guard nodes[i].replica != nil, nodes[i].timerGeneration == generation else { return }
            mix(2, UInt64(i), round.value)
            feed(i, .timerFired(round))
        case .proposalDue(let i, let round, let generation):
            guard nodes[i].replica != nil, nodes[i].proposalGeneration == generation else { return }
            mix(9, UInt64(i), round.value)
            feed(i, .proposalDue(round))
        case .submit:
            submitTransactions()
            if !(healed && reachedTarget()) { queue.schedule(at: now + 40, .submit) }
        case .crash(let i):
            guard nodes[i].replica != nil else { return }
            mix(3, UInt64(i), 0)
            nodes[i].replica = nil
            nodes[i].states = [:]
            nodes[i].timerGeneration += 1
            nodes[i].proposalGeneration += 1
        case .restart(let i):
            guard nodes[i].replica == nil else { return }
            mix(4, UInt64(i), UInt64(nodes[i].chain.count))
            boot(i)
        case .split(let sides):
            side = sides
        case .rejoin:
            side = nil
        case .heal:
            healed = true
            side = nil
            dropRate = 0
            duplicateRate = 0
            heightAtHeal = nodes.indices.filter(isHonest).map { nodes[$0].chain.count }.max() ?? 0
            for i in nodes.indices where nodes[i].replica == nil { boot(i) }
        case .hugeRound(let i):
            sendHugeRounds(i)
            queue.schedule(at: now + random.between(200, 1500), .hugeRound(i))
        }
    }

    // MARK: - Driving a replica

    mutating func feed(_ i: Int, _ first: Input.Event) {
        var pending = [first]
        var k = 0
        while k < pending.count {
            let event = pending[k]
            k += 1
            guard nodes[i].replica != nil else { return }
            steps += 1
            let local = now + nodes[i].clockOffset
            guard let effects = nodes[i].replica?.step(Input(event, nowMillis: local)) else { return }
            for effect in effects { perform(i, effect, &pending) }
        }
    }

    mutating func perform(_ i: Int, _ effect: Effect, _ pending: inout [Input.Event]) {
        switch effect {
        case .persistSafety(let data):
            nodes[i].safety = data
        case .persistBlock(let linked):
            nodes[i].blocks[linked.block.hash(using: hasher)] = linked
        case .send(let to, let message), .share(let to, let message):
            for j in nodes.indices where j != i && nodes[j].member == to { transmit(message, from: i, to: j) }
        case .broadcast(let message):
            broadcast(message, from: i)
        case .execute(let block):
            guard let parent = nodes[i].states[block.header.parentHash] else { return }
            var app = parent.app
            let context = BlockContext(
                chainID: chainID, height: block.header.height, timestampMillis: block.header.timestampMillis,
                proposer: block.header.proposer)
            let result = app.executeBlock(context, transactions: block.transactions)
            let hash = block.hash(using: hasher)
            nodes[i].states[hash] = ExecutedState(app: app, height: block.header.height, results: result.results)
            pending.append(
                .executed(blockHash: hash, stateRoot: result.stateRoot, validatorUpdates: result.validatorUpdates))
        case .commit(let commit):
            record(commit, at: i)
        case .setTimer(let round, let at):
            nodes[i].timerGeneration += 1
            queue.schedule(
                at: max(now, at - nodes[i].clockOffset),
                .timer(node: i, round: round, generation: nodes[i].timerGeneration))
        case .scheduleProposal(let round, let at):
            nodes[i].proposalGeneration += 1
            queue.schedule(
                at: max(now, at - nodes[i].clockOffset),
                .proposalDue(node: i, round: round, generation: nodes[i].proposalGeneration))
        case .evidence(let evidence):
            evidenceCount += 1
            if let offender = nodes.firstIndex(where: { $0.member == evidence.offender }), isHonest(offender) {
                violations.append("evidence against honest \(evidence.offender) in round \(evidence.round)")
            }
        }
    }

    // MARK: - Checkers

    mutating func record(_ commit: Commit, at i: Int) {
        let honest = isHonest(i)
        do {
            try commit.certificate.verify(chainID: chainID, validators: validatorSet, verifier: verifier)
        } catch {
            violations.append("certificate: node \(i) committed with an invalid certificate: \(error)")
        }
        if commit.certificate.committed.hash != commit.blocks.last?.hash {
            violations.append("certificate: node \(i) certificate does not name its last block")
        }
        for committed in commit.blocks {
            let height = Int(committed.block.header.height.value)
            let previous = nodes[i].chain.last?.hash ?? genesisHash
            if height != nodes[i].chain.count + 1 || committed.block.header.parentHash != previous {
                violations.append(
                    "chain: node \(i) committed height \(height) after \(nodes[i].chain.count) or off its chain")
            }
            if committed.certificate.block.hash != committed.hash {
                violations.append("certificate: node \(i) height \(height) carries another block's certificate")
            }
            nodes[i].chain.append(committed)
            mix(5, UInt64(i), committed.hash.w0)
            guard honest else { continue }
            if height <= committedAt.count {
                if committedAt[height - 1] != committed.hash {
                    violations.append(
                        "S1: height \(height): node \(i) committed \(committed.hash.short), others \(committedAt[height - 1].short)"
                    )
                }
                if rootAt[height - 1] != committed.stateRoot {
                    violations.append("S5: height \(height): node \(i) state root differs")
                }
                if let executed = nodes[i].states[committed.hash], resultsAt[height - 1] != digest(executed.results) {
                    violations.append("S5: height \(height): node \(i) transaction results differ")
                }
            } else if height == committedAt.count + 1 {
                committedAt.append(committed.hash)
                rootAt.append(committed.stateRoot)
                guard let executed = nodes[i].states[committed.hash] else {
                    violations.append("chain: node \(i) committed height \(height) it never executed")
                    resultsAt.append(.zero)
                    continue
                }
                resultsAt.append(digest(executed.results))
                violations.append(
                    contentsOf: workload.committed(committed.block, results: executed.results, state: executed.app))
            }
        }
        if let last = commit.blocks.last, let executed = nodes[i].states[last.hash] {
            nodes[i].tipApp = executed.app
            let floor = last.block.header.height
            nodes[i].states = nodes[i].states.filter { $0.key == last.hash || $0.value.height > floor }
        }
        nodes[i].schedule = commit.schedule
        if let top = commit.blocks.last?.block.header.height {
            nodes[i].blocks = nodes[i].blocks.filter { $0.value.block.header.height > top }
        }
    }

    /// The digest of a block's results, compared across honest replicas (S5).
    func digest(_ results: [TransactionResult]) -> Hash {
        var e = CanonicalEncoder()
        for r in results { e.value(r) }
        return hasher.hash(Domain("creditchain/simulation-results/v1"), e.bytes)
    }

    /// S3: every transaction committed at a height is in every honest replica's block there.
    mutating func checkTransactionsKept() {
        var reference = [Int: Set<Hash>]()
        for i in nodes.indices where isHonest(i) {
            for (h, committed) in nodes[i].chain.enumerated() {
                let txs = Set(committed.block.transactions.map { $0.hash(using: hasher) })
                if let known = reference[h] {
                    if known != txs { violations.append("S3: node \(i) height \(h + 1) lost or changed transactions") }
                } else {
                    reference[h] = txs
                }
            }
        }
    }

    // MARK: - Network

    mutating func broadcast(_ message: ConsensusMessage, from i: Int) {
        if nodes[i].behaviours.contains(.equivocation), case .proposal(let p) = message {
            equivocate(p, from: i)
            return
        }
        for j in nodes.indices where j != i { transmit(message, from: i, to: j) }
    }

    mutating func transmit(_ original: ConsensusMessage, from i: Int, to j: Int) {
        var message = original
        let sender = nodes[i]
        if sender.byzantine {
            if sender.behaviours.contains(.withhold) && random.chance(0.4) { return }
            if sender.behaviours.contains(.badSignature) && random.chance(0.25) { message = corrupt(message) }
        }
        if let side, side[i % side.count] != side[j % side.count] { return }
        if dropRate > 0 && random.chance(dropRate) { return }
        send(message, from: i, to: j)
        if duplicateRate > 0 && random.chance(duplicateRate) { send(message, from: i, to: j) }
    }

    mutating func send(_ message: ConsensusMessage, from i: Int, to j: Int) {
        var delay: Int64
        if options.faults.contains(.delay) && !healed {
            delay = random.chance(0.05) ? random.between(100, 1500) : random.between(1, 60)
        } else {
            delay = random.between(5, 20)
        }
        if options.faults.contains(.reorder) && !healed && random.chance(0.1) { delay += random.between(0, 300) }
        queue.schedule(at: now + delay, .deliver(to: j, from: i, message))
    }

    /// Hands each client transaction to two replicas (a client retries on a second gateway).
    mutating func submitTransactions() {
        for tx in workload.nextTransactions(nowMillis: now, using: &random) {
            let target = random.below(nodes.count)
            feed(target, .transactionsAvailable([tx]))
            feed((target + 1) % nodes.count, .transactionsAvailable([tx]))
        }
    }

    // MARK: - Byzantine behaviours

    func resign(_ signer: SimulationSigner, _ bytes: [UInt8]) -> [UInt8] {
        (try? signer.sign(bytes)) ?? []
    }

    mutating func equivocate(_ p: Proposal, from i: Int) {
        let signer = nodes[i].signer
        var block = p.block
        var header = block.header
        header.timestampMillis += 1
        let transactions = block.transactions.isEmpty ? [] : Array(block.transactions.dropLast())
        block = Block(
            chainID: header.chainID, height: header.height, round: header.round, parentHash: header.parentHash,
            proposer: header.proposer, timestampMillis: header.timestampMillis, stateRoot: header.stateRoot,
            transactions: transactions, hasher: hasher)
        let reference = BlockReference(height: header.height, round: header.round, hash: block.hash(using: hasher))
        let twin = Proposal(
            block: block, justify: p.justify, timeoutCertificate: p.timeoutCertificate,
            signature: resign(signer, Proposal.signingBytes(reference, chainID: chainID)))
        let bothToAll = random.chance(0.5)
        for j in nodes.indices where j != i {
            if bothToAll {
                let first = random.chance(0.5)
                transmit(.proposal(first ? p : twin), from: i, to: j)
                transmit(.proposal(first ? twin : p), from: i, to: j)
            } else {
                transmit(.proposal(j % 2 == 0 ? p : twin), from: i, to: j)
            }
        }
    }

    mutating func doubleVote(_ i: Int, _ p: Proposal) {
        let header = p.block.header
        let hash = p.block.hash(using: hasher)
        guard nodes[i].voted.insert(hash).inserted else { return }
        if nodes[i].voted.count > 256 { nodes[i].voted.removeAll() }
        let committed: BlockReference? = p.justify.round.next == header.round ? p.justify.block : nil
        let data = VoteData(
            block: BlockReference(height: header.height, round: header.round, hash: hash), committed: committed)
        let vote = Vote(
            data: data, voter: nodes[i].member, signature: resign(nodes[i].signer, data.signingBytes(chainID: chainID)))
        // To every other node: whoever leads the next round (by reputation or rotation) gets it.
        for j in nodes.indices where j != i { transmit(.vote(vote), from: i, to: j) }
    }

    mutating func sendHugeRounds(_ i: Int) {
        guard let replica = nodes[i].replica else { return }
        let huge = Round((1 << 62) + random.next() % (1 << 40))
        let signer = nodes[i].signer
        let data = TimeoutData(round: huge, highQCRound: replica.highQC.round)
        let timeout = TimeoutVote(
            data: data, highQC: replica.highQC, lastRoundCertificate: nil, voter: nodes[i].member,
            signature: resign(signer, data.signingBytes(chainID: chainID)))
        let voteData = VoteData(
            block: BlockReference(height: Height(huge.value), round: huge, hash: hasher.digest([1])), committed: nil)
        let vote = Vote(
            data: voteData, voter: nodes[i].member, signature: resign(signer, voteData.signingBytes(chainID: chainID)))
        for j in nodes.indices where j != i {
            transmit(.timeout(timeout), from: i, to: j)
            transmit(.vote(vote), from: i, to: j)
        }
    }

    func corrupt(_ message: ConsensusMessage) -> ConsensusMessage {
        func flip(_ s: [UInt8]) -> [UInt8] {
            var s = s
            if s.isEmpty { return [0] }
            s[0] ^= 0x5A
            return s
        }
        switch message {
        case .proposal(var p):
            p.signature = flip(p.signature)
            return .proposal(p)
        case .vote(var v):
            v.signature = flip(v.signature)
            return .vote(v)
        case .timeout(var t):
            t.signature = flip(t.signature)
            return .timeout(t)
        default:
            return message
        }
    }

    // MARK: - Trace

    mutating func mix(_ kind: UInt64, _ a: UInt64, _ b: UInt64) {
        for v in [UInt64(bitPattern: now), kind, a, b] {
            var x = v
            for _ in 0..<8 {
                trace ^= x & 0xFF
                trace = trace &* 0x0000_0100_0000_01B3
                x >>= 8
            }
        }
    }
}

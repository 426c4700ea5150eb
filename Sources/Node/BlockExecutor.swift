import ChainCore
import Ledger
import Storage

/// Runs the application for one replica, in two copies:
///
/// - the **committed** copy advances only at commit (its `BlockExecution` gives the state writes and
///   results the state store records);
/// - the **head** copy executes uncommitted blocks as consensus asks (`Effect.execute`), because a
///   header carries its parent's post-state root, so proposing and voting need it before commit.
///
/// On the happy path each copy executes each block once and neither is ever copied. When consensus
/// asks for a block whose parent is not the head (a fork after a view change), the head restarts
/// from the committed copy and re-executes the uncommitted path to that parent.
public struct BlockExecutor: Sendable {
    public private(set) var committed: any Application
    private var head: any Application
    public private(set) var committedHash: Hash
    private var headHash: Hash
    /// The head ran a branch that lost, or blocks were committed without it (sync): it is rebuilt
    /// from the committed copy when next needed. Not at once: a head sharing the committed copy's
    /// storage would make the next commit copy the whole state (copy on write), once per block
    /// while a node syncs.
    private var headStale = false
    /// Uncommitted blocks executed on the head, by hash: the block, its execution and its
    /// transactions' hashes. The commit of such a block applies that execution's writes to the
    /// committed copy instead of running the block again.
    private var executed: [Hash: SpeculativeExecution] = [:]

    struct SpeculativeExecution: Sendable {
        var block: Block
        var execution: BlockExecution
        var transactionHashes: [Hash]
    }
    private let runner: Runner
    /// Transactions whose envelope signature this node already verified (at admission or in an
    /// earlier execution), with the key it verified against: execution skips them when that is
    /// still the signer's key.
    public let verifiedSignatures: VerifiedSignatures

    public init(
        application: any Application, committedHash: Hash, chainID: ChainID, hasher: any ChainHasher,
        verifier: any ChainVerifier, genesisKeys: [MemberID: [UInt8]],
        verifiedSignatures: VerifiedSignatures = VerifiedSignatures()
    ) {
        self.verifiedSignatures = verifiedSignatures
        self.committed = application
        self.head = application
        self.committedHash = committedHash
        self.headHash = committedHash
        self.runner = Runner(chainID: chainID, hasher: hasher, verifier: verifier, genesisKeys: genesisKeys)
    }

    /// What runs a block: the chain, its primitives and the genesis keys.
    struct Runner: Sendable {
        let chainID: ChainID
        let hasher: any ChainHasher
        let verifier: any ChainVerifier
        /// Signing keys of genesis, for applications that do not track keys.
        let genesisKeys: [MemberID: [UInt8]]

        /// Runs `block` on `app` and returns its execution and the hashes of its transactions.
        /// Every envelope signature is checked first against the signer's key in the state the
        /// block executes on (the application's, else genesis'): a transaction a member did not
        /// sign, which a faulty leader could put in a block, is recorded as rejected
        /// (`tx.bad_signature`, `tx.unknown_signer`) and not executed. Deterministic, so every
        /// honest replica reaches the same results and state root.
        func run(_ app: inout any Application, _ block: Block, forget: Bool, verified: VerifiedSignatures)
            -> (execution: BlockExecution, transactionHashes: [Hash])
        {
            let context = BlockExecutor.context(block, chainID: chainID)
            let hashes = block.transactions.map { $0.hash(using: hasher) }
            var refusals: [TransactionResult?] = []
            refusals.reserveCapacity(block.transactions.count)
            for (tx, hash) in zip(block.transactions, hashes) {
                guard let key = app.signingKey(of: tx.signer) ?? genesisKeys[tx.signer] else {
                    refusals.append(TransactionResult(code: "tx.unknown_signer", detail: "the signer is not a member"))
                    continue
                }
                if verified.contains(hash, key: key) {
                    if forget { verified.forget(hash) }
                    refusals.append(nil)
                    continue
                }
                let ok = tx.verifySignature(with: verifier, chainID: chainID, publicKey: key)
                // A speculative execution remembers the check for the commit (and for admission of
                // the same transaction arriving late by gossip).
                if ok && !forget { verified.note(hash, key: key) }
                refusals.append(ok ? nil : TransactionResult(code: "tx.bad_signature", detail: "envelope signature"))
            }
            guard refusals.contains(where: { $0 != nil }) else {
                return (app.executeBlock(context, transactions: block.transactions), hashes)
            }
            let admitted = zip(block.transactions, refusals).filter { $0.1 == nil }.map(\.0)
            var execution = app.executeBlock(context, transactions: admitted)
            var results = execution.results.makeIterator()
            execution.results = refusals.map { refusal in
                refusal ?? results.next() ?? TransactionResult(code: "internal.result_missing")
            }
            return (execution, hashes)
        }
    }

    public var committedStateRoot: Hash { committed.stateRoot }

    static func context(_ block: Block, chainID: ChainID) -> BlockContext {
        BlockContext(
            chainID: chainID, height: block.header.height, timestampMillis: block.header.timestampMillis,
            proposer: block.header.proposer)
    }

    /// Executes an uncommitted block for consensus; returns its post-state root and validator
    /// updates, or nil when its parent is unknown (never executed, not committed).
    public mutating func executeSpeculatively(_ block: Block, hash: Hash) -> (Hash, [ValidatorSetUpdate])? {
        let parent = block.header.parentHash
        if parent != headHash || headStale {
            // Rebuild the head on the committed state, then replay the path to `parent`.
            var path: [Block] = []
            var cursor = parent
            while cursor != committedHash {
                guard let entry = executed[cursor] else { return nil }
                path.append(entry.block)
                cursor = entry.block.header.parentHash
                if path.count > 4096 { return nil }
            }
            head = committed
            headHash = committedHash
            headStale = false
            for b in path.reversed() {
                _ = runner.run(&head, b, forget: false, verified: verifiedSignatures)
                headHash = b.hash(using: runner.hasher)
            }
        }
        let (result, hashes) = runner.run(&head, block, forget: false, verified: verifiedSignatures)
        headHash = hash
        executed[hash] = SpeculativeExecution(block: block, execution: result, transactionHashes: hashes)
        return (result.stateRoot, result.validatorUpdates)
    }

    /// Executes a committed block on the committed copy (blocks arrive in height order); returns
    /// its execution and its transactions' hashes (for the state store's transaction index).
    public mutating func commit(_ block: Block, hash: Hash) -> (execution: BlockExecution, transactionHashes: [Hash]) {
        precondition(block.header.parentHash == committedHash, "commit out of order")
        let result: (execution: BlockExecution, transactionHashes: [Hash])
        // The head ran this block on the state the committed copy holds now (its parent is the
        // committed tip; execution is deterministic), so its writes are the commit's writes.
        if let speculative = executed[hash], committed.applyExecuted(speculative.execution) {
            precondition(
                committed.stateRoot == speculative.execution.stateRoot,
                "the committed state's root differs from the speculative execution's after applying its writes")
            for h in speculative.transactionHashes { verifiedSignatures.forget(h) }
            result = (speculative.execution, speculative.transactionHashes)
        } else {
            result = runner.run(&committed, block, forget: true, verified: verifiedSignatures)
        }
        committedHash = hash
        // Forget speculative executions at or below the committed height (their branch is dead or
        // committed now).
        let height = block.header.height
        executed = executed.filter { $0.value.block.header.height > height }
        if executed.isEmpty && headHash != committedHash {
            // The head ran a branch that lost, or none (sync): start over from the committed
            // state the next time it is needed.
            headStale = true
        }
        return result
    }

    /// Drops the head's uncommitted executions; the head starts over from the committed copy when
    /// next needed (after a snapshot restore, or when the committed tip jumps by sync while the
    /// head ran ahead on a branch that sync did not confirm).
    public mutating func resetHead() {
        headStale = true
        executed = [:]
    }
}

extension StateStore {
    /// Meta name of the validator schedule in force after the applied height.
    static let validatorScheduleMeta = "node.validator_schedule"

    /// Records a committed block's execution as a node does at commit: its writes, post-state root
    /// and per-transaction results — and, when the block changed it, the validator schedule after
    /// it — in one database transaction.
    public func record(
        _ execution: BlockExecution, transactionHashes: [Hash], at height: Height, schedule: ValidatorSchedule? = nil
    ) throws {
        try apply([Self.appliedBlock(execution, transactionHashes: transactionHashes, at: height, schedule: schedule)])
    }

    /// A committed block's execution as the state store records it.
    static func appliedBlock(
        _ execution: BlockExecution, transactionHashes: [Hash], at height: Height, schedule: ValidatorSchedule?
    ) -> AppliedBlock {
        AppliedBlock(
            height: height, stateRoot: execution.stateRoot, writes: execution.writes,
            transactions: zip(transactionHashes, execution.results).map { AppliedTransaction(hash: $0, result: $1) },
            meta: schedule.map { [MetaValue(name: Self.validatorScheduleMeta, value: $0.canonicalBytes)] } ?? [])
    }

    /// The validator schedule recorded with the applied state; nil when no block changed genesis'.
    public func validatorSchedule() throws -> ValidatorSchedule? {
        guard let bytes = try meta(Self.validatorScheduleMeta) else { return nil }
        do { return try ValidatorSchedule(canonicalBytes: bytes) } catch {
            throw NodeError(code: "storage.bad_schedule", reason: "recorded validator schedule: \(error)")
        }
    }
}

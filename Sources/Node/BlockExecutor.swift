import ChainCore
import Ledger

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
    /// Uncommitted blocks executed on the head, by hash: block and its post-state root.
    private var executed: [Hash: (block: Block, stateRoot: Hash)] = [:]
    private let chainID: ChainID
    private let hasher: any ChainHasher
    private let verifier: any ChainVerifier
    /// Signing keys of genesis, for applications that do not track keys.
    private let genesisKeys: [MemberID: [UInt8]]
    /// Transactions whose envelope signature this node already verified (at admission), with the
    /// key it verified against: execution skips them when that is still the signer's key.
    private var verified: [Hash: [UInt8]] = [:]
    static let verifiedMax = 200_000

    public init(
        application: any Application, committedHash: Hash, chainID: ChainID, hasher: any ChainHasher,
        verifier: any ChainVerifier, genesisKeys: [MemberID: [UInt8]]
    ) {
        self.committed = application
        self.head = application
        self.committedHash = committedHash
        self.headHash = committedHash
        self.chainID = chainID
        self.hasher = hasher
        self.verifier = verifier
        self.genesisKeys = genesisKeys
    }

    /// Records that `hash`'s envelope signature verified against `key` (bounded: the memory is
    /// dropped when full, which only costs re-verification).
    public mutating func noteVerified(_ hash: Hash, key: [UInt8]) {
        if verified.count >= Self.verifiedMax { verified.removeAll(keepingCapacity: true) }
        verified[hash] = key
    }

    /// Runs `block` on `app`. Every envelope signature is checked first against the signer's key
    /// in the state the block executes on (the application's, else genesis'): a transaction a
    /// member did not sign, which a faulty leader could put in a block, is recorded as rejected
    /// (`tx.bad_signature`, `tx.unknown_signer`) and not executed. Deterministic, so every honest
    /// replica reaches the same results and state root.
    static func run(
        _ app: inout any Application, _ block: Block, forget: Bool, verified: inout [Hash: [UInt8]],
        chainID: ChainID, hasher: any ChainHasher, verifier: any ChainVerifier, genesisKeys: [MemberID: [UInt8]]
    ) -> BlockExecution {
        let context = Self.context(block, chainID: chainID)
        var refusals: [TransactionResult?] = []
        refusals.reserveCapacity(block.transactions.count)
        for tx in block.transactions {
            guard let key = app.signingKey(of: tx.signer) ?? genesisKeys[tx.signer] else {
                refusals.append(TransactionResult(code: "tx.unknown_signer", detail: "the signer is not a member"))
                continue
            }
            let hash = tx.hash(using: hasher)
            if verified[hash] == key {
                if forget { verified[hash] = nil }
                refusals.append(nil)
                continue
            }
            let ok = tx.verifySignature(with: verifier, chainID: chainID, publicKey: key)
            refusals.append(ok ? nil : TransactionResult(code: "tx.bad_signature", detail: "envelope signature"))
        }
        guard refusals.contains(where: { $0 != nil }) else {
            return app.executeBlock(context, transactions: block.transactions)
        }
        let admitted = zip(block.transactions, refusals).filter { $0.1 == nil }.map(\.0)
        var execution = app.executeBlock(context, transactions: admitted)
        var results = execution.results.makeIterator()
        execution.results = refusals.map { refusal in
            refusal ?? results.next() ?? TransactionResult(code: "internal.result_missing")
        }
        return execution
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
        if parent != headHash {
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
            for b in path.reversed() {
                _ = Self.run(
                    &head, b, forget: false, verified: &verified, chainID: chainID, hasher: hasher, verifier: verifier,
                    genesisKeys: genesisKeys)
                headHash = b.hash(using: hasher)
            }
        }
        let result = Self.run(
            &head, block, forget: false, verified: &verified, chainID: chainID, hasher: hasher, verifier: verifier,
            genesisKeys: genesisKeys)
        headHash = hash
        executed[hash] = (block, result.stateRoot)
        return (result.stateRoot, result.validatorUpdates)
    }

    /// Executes a committed block on the committed copy (blocks arrive in height order).
    public mutating func commit(_ block: Block, hash: Hash) -> BlockExecution {
        precondition(block.header.parentHash == committedHash, "commit out of order")
        let result = Self.run(
            &committed, block, forget: true, verified: &verified, chainID: chainID, hasher: hasher, verifier: verifier,
            genesisKeys: genesisKeys)
        committedHash = hash
        // Forget speculative executions at or below the committed height (their branch is dead or
        // committed now).
        let height = block.header.height
        executed = executed.filter { $0.value.block.header.height > height }
        if executed.isEmpty && headHash != committedHash {
            // The head ran a branch that lost; start over from the committed state next time.
            head = committed
            headHash = committedHash
        }
        return result
    }

    /// Replaces both copies (after a snapshot restore or when the committed tip jumps by sync while
    /// the head ran ahead on a branch that sync did not confirm).
    public mutating func resetHead() {
        head = committed
        headHash = committedHash
        executed = [:]
    }
}

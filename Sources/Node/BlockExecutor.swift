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

    public init(application: any Application, committedHash: Hash, chainID: ChainID, hasher: any ChainHasher) {
        self.committed = application
        self.head = application
        self.committedHash = committedHash
        self.headHash = committedHash
        self.chainID = chainID
        self.hasher = hasher
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
                _ = head.executeBlock(Self.context(b, chainID: chainID), transactions: b.transactions)
                headHash = b.hash(using: hasher)
            }
        }
        let result = head.executeBlock(Self.context(block, chainID: chainID), transactions: block.transactions)
        headHash = hash
        executed[hash] = (block, result.stateRoot)
        return (result.stateRoot, result.validatorUpdates)
    }

    /// Executes a committed block on the committed copy (blocks arrive in height order).
    public mutating func commit(_ block: Block, hash: Hash) -> BlockExecution {
        precondition(block.header.parentHash == committedHash, "commit out of order")
        let result = committed.executeBlock(Self.context(block, chainID: chainID), transactions: block.transactions)
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

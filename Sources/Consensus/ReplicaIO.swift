import ChainCore
import Ledger

/// One input to the replica, with the local clock reading at which it happens (the core never
/// reads a clock).
public struct Input: Sendable {
    /// What happened.
    public enum Event: Sendable {
        /// The replica starts (or restarts): arm the round timer, propose if leader.
        case start
        /// A decoded message from a peer. `from` is the sender as the transport authenticated it
        /// (the member of the peer's mutual-TLS certificate), never a claim inside the message; the
        /// message's content is not yet trusted.
        case message(from: MemberID, ConsensusMessage)
        /// Raw bytes from a peer (`from` as for `message`); decoded here with size limits
        /// (malformed input is dropped).
        case messageBytes(from: MemberID, [UInt8])
        /// The timer set by the last `Effect.setTimer` fired.
        case timerFired(Round)
        /// The shell executed `blockHash` (on top of its parent's state).
        case executed(blockHash: Hash, stateRoot: Hash, validatorUpdates: [ValidatorSetUpdate])
        /// Transactions admitted by the shell's checks (signature, envelope limits).
        case transactionsAvailable([TransactionEnvelope])
        /// The time set by the last `Effect.scheduleProposal` came (idle pacing).
        case proposalDue(Round)
    }

    public var event: Event
    /// The replica's clock, milliseconds since the Unix epoch.
    public var nowMillis: Int64

    public init(_ event: Event, nowMillis: Int64) {
        self.event = event
        self.nowMillis = nowMillis
    }
}

/// A block made final, with the certificate that certifies it and its post-execution state root.
public struct CommittedBlock: Hashable, Sendable {
    public var block: Block
    public var hash: Hash
    /// The quorum certificate of this block (its child's `justify`).
    public var certificate: QuorumCertificate
    /// The state root after executing it.
    public var stateRoot: Hash

    public init(block: Block, hash: Hash, certificate: QuorumCertificate, stateRoot: Hash) {
        self.block = block
        self.hash = hash
        self.certificate = certificate
        self.stateRoot = stateRoot
    }
}

/// Blocks made final by one commit certificate, ascending by height.
public struct Commit: Sendable {
    public var blocks: [CommittedBlock]
    /// Commits the last block of `blocks`; the others are its ancestors.
    public var certificate: CommitCertificate
    /// The validator schedule after these blocks' updates (persist it with the blocks).
    public var schedule: ValidatorSchedule

    public init(blocks: [CommittedBlock], certificate: CommitCertificate, schedule: ValidatorSchedule) {
        self.blocks = blocks
        self.certificate = certificate
        self.schedule = schedule
    }
}

/// What the shell must do, in list order: the core orders every step's effects as this replica's
/// proposal (which depends on no saved state), persists, then sends, then the rest, so nothing
/// signed leaves before the state it depends on is durable.
public enum Effect: Sendable {
    /// Durably store the safety data before performing any later effect.
    case persistSafety(SafetyData)
    /// Durably store a block received or proposed (lets a restart skip refetching it).
    case persistBlock(LinkedBlock)
    /// Send to one validator.
    case send(to: MemberID, ConsensusMessage)
    /// Send to every other validator.
    case broadcast(ConsensusMessage)
    /// Send to one validator that can use the message but that no round waits on (a copy of a
    /// vote for a validator other than the next leader): a lost link to it is no reason to time
    /// out early.
    case share(to: MemberID, ConsensusMessage)
    /// Execute the block on its parent's post-state, then feed `Input.Event.executed`.
    case execute(Block)
    /// Apply: store the blocks as final and make their state current.
    case commit(Commit)
    /// Replace the pending timer: fire `timerFired(round)` at the given local time.
    case setTimer(round: Round, atMillis: Int64)
    /// Replace the pending proposal wake-up: feed `proposalDue(round)` at the given local time
    /// (a leader pacing empty blocks, `ConsensusConfig.idleBlockIntervalMillis`). Independent of
    /// the round timer.
    case scheduleProposal(round: Round, atMillis: Int64)
    /// A validator signed two conflicting messages.
    case evidence(Evidence)
}

/// Where a replica starts: the last committed block (genesis on first start), its certificate,
/// the state root after it, and the validator schedule then in force.
public struct ChainTip: Sendable {
    public var block: Block
    public var certificate: QuorumCertificate
    public var stateRoot: Hash
    public var schedule: ValidatorSchedule

    public init(block: Block, certificate: QuorumCertificate, stateRoot: Hash, schedule: ValidatorSchedule) {
        self.block = block
        self.certificate = certificate
        self.stateRoot = stateRoot
        self.schedule = schedule
    }
}

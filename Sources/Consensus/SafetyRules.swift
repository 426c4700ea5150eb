import ChainCore
import Ledger

/// What a validator must never forget across a crash: the highest round it voted or timed out
/// in, the highest certified round it has voted on top of, and its last vote (re-sent, never
/// re-signed differently). Also the highest certificates it knew when it last signed, so a
/// restarted replica can resume its round.
public struct SafetyData: Hashable, Sendable, CanonicalCodable {
    /// Highest round in which this validator voted or signed a timeout.
    public var lastVotedRound: Round
    /// Highest round of a certificate this validator voted on top of (the "one-chain" round);
    /// its timeouts must report a certificate at least this high.
    public var oneChainRound: Round
    /// The last vote signed (the same vote is re-sent if the round's proposal comes again).
    public var lastVote: Vote?
    /// Highest certificates known at the last signature (recovery hints, not safety state).
    public var highQC: QuorumCertificate
    public var highTC: TimeoutCertificate?

    public init(genesisQC: QuorumCertificate) {
        lastVotedRound = Round(0)
        oneChainRound = Round(0)
        lastVote = nil
        highQC = genesisQC
        highTC = nil
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.value(lastVotedRound)
        e.value(oneChainRound)
        e.optional(lastVote) { e, v in e.value(v) }
        e.value(highQC)
        e.optional(highTC) { e, tc in e.value(tc) }
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("safety.version", supported: 1...1)
        lastVotedRound = try d.value()
        oneChainRound = try d.value()
        lastVote = try d.optional("safety.last_vote") { try $0.value() }
        highQC = try d.value()
        highTC = try d.optional("safety.high_tc") { try $0.value() }
    }
}

/// The only component that signs votes and timeouts (as Aptos' SafetyRules). Every signature
/// comes back together with the safety data that must be persisted *before* the signed message
/// leaves the replica; the core emits the persist effect ahead of the send.
///
/// Rules (two-chain HotStuff / Jolteon):
/// - vote for block B of round r only if r > lastVotedRound, and either B extends a certificate
///   of round r − 1, or B carries a timeout certificate of round r − 1 and extends a certificate at
///   least as high as every high-QC round in that timeout certificate;
/// - time out round r only if r ≥ lastVotedRound, the reported certificate (or the timeout
///   certificate) is of round r − 1, and the reported certificate is at least `oneChainRound`.
public struct SafetyRules: Sendable {
    public let member: MemberID
    public let chainID: ChainID
    private let signer: any ChainSigner
    public private(set) var data: SafetyData
    /// Testing hook: skips the voting rules (round monotonicity and the lock), to show the
    /// simulator's checkers catch an unsafe core. Never set outside tests.
    public var unsafeSkipVotingRules = false

    public init(member: MemberID, chainID: ChainID, signer: any ChainSigner, data: SafetyData) {
        self.member = member
        self.chainID = chainID
        self.signer = signer
        self.data = data
    }

    /// The vote for `block` (certified parent `justify`, optional `tc`), with the safety data to
    /// persist first; nil when voting would be unsafe. Re-proposals of the block already voted on
    /// in this round return the same vote.
    public mutating func vote(
        block: BlockReference, justify: QuorumCertificate, tc: TimeoutCertificate?, highQC: QuorumCertificate
    ) -> (SafetyData, Vote)? {
        if let last = data.lastVote, last.round == block.round, !unsafeSkipVotingRules {
            return last.data.block == block ? (data, last) : nil
        }
        if !unsafeSkipVotingRules {
            guard block.round > data.lastVotedRound else { return nil }
            let direct = justify.round.next == block.round
            let viaTimeout = tc.map { $0.round.next == block.round && justify.round >= $0.highestQCRound } ?? false
            guard direct || viaTimeout else { return nil }
        }
        // Two-chain commit: a vote for a block that directly follows its parent's round commits
        // the parent once it gathers a quorum.
        let committed: BlockReference? = justify.round.next == block.round ? justify.block : nil
        let voteData = VoteData(block: block, committed: committed)
        guard let signature = try? signer.sign(voteData.signingBytes(chainID: chainID)) else { return nil }
        let vote = Vote(data: voteData, voter: member, signature: signature)
        data.lastVotedRound = max(data.lastVotedRound, block.round)
        data.oneChainRound = max(data.oneChainRound, justify.round)
        data.lastVote = vote
        if highQC.round > data.highQC.round { data.highQC = highQC }
        if let tc, tc.round > (data.highTC?.round ?? Round(0)) { data.highTC = tc }
        return (data, vote)
    }

    /// A signed timeout for `round`, with the safety data to persist first; nil when unsafe.
    public mutating func timeout(round: Round, highQC: QuorumCertificate, lastTC: TimeoutCertificate?)
        -> (SafetyData, TimeoutVote)?
    {
        guard round >= data.lastVotedRound else { return nil }
        let entered = highQC.round.next == round || lastTC.map { $0.round.next == round } == true
        guard entered, highQC.round >= data.oneChainRound else { return nil }
        let timeoutData = TimeoutData(round: round, highQCRound: highQC.round)
        guard let signature = try? signer.sign(timeoutData.signingBytes(chainID: chainID)) else { return nil }
        data.lastVotedRound = round
        if highQC.round > data.highQC.round { data.highQC = highQC }
        if let lastTC, lastTC.round > (data.highTC?.round ?? Round(0)) { data.highTC = lastTC }
        let vote = TimeoutVote(
            data: timeoutData, highQC: highQC, lastRoundCertificate: lastTC, voter: member, signature: signature)
        return (data, vote)
    }

    /// Signs a proposal this replica makes as leader (proposals need no persisted state: a leader
    /// proposes once per round, and a repeat after a crash is at worst equivocation evidence
    /// against itself, which the voting rule makes harmless).
    public func signProposal(_ reference: BlockReference) -> [UInt8]? {
        try? signer.sign(Proposal.signingBytes(reference, chainID: chainID))
    }
}

/// Proof that a validator signed two conflicting messages for one round: both signed values,
/// verifiable by anyone with the validator's key.
public enum Evidence: Hashable, Sendable {
    /// Two votes by one voter for different blocks (or commit data) of one round.
    case conflictingVotes(Vote, Vote)
    /// Two proposals by one leader for one round: the signed references and signatures.
    case conflictingProposals(
        proposer: MemberID, first: BlockReference, firstSignature: [UInt8], second: BlockReference,
        secondSignature: [UInt8])

    /// The validator that signed twice.
    public var offender: MemberID {
        switch self {
        case .conflictingVotes(let a, _): return a.voter
        case .conflictingProposals(let p, _, _, _, _): return p
        }
    }

    /// The round concerned.
    public var round: Round {
        switch self {
        case .conflictingVotes(let a, _): return a.round
        case .conflictingProposals(_, let a, _, _, _): return a.round
        }
    }
}

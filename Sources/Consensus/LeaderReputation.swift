import ChainCore
import Ledger

/// Leader reputation (after DiemBFT v4's): a round's leader rotates among the validators that took
/// part in recent blocks, so a crashed validator stops costing a round timeout — and the block
/// before its round — every rotation.
///
/// The participants of a block are its proposer and the signers of the certificate that certifies
/// it (its child's `justify`). The leader of round r for a block extending parent P (height p) is
/// elected from the `window` blocks of P's ancestry ending at height p − `lag`
/// (`Replica.leader(for:parentHash:)`): that input is fixed by P itself, so every replica that
/// holds P elects the same leader, whatever its own commit height or round. The leader is the
/// validator at index r mod k among the k validators (in member order) of the set in force that
/// took part in the window; with fewer than a quorum of them, or while the chain is shorter than
/// `lag + window`, it is plain round-robin over the whole set. Safety never depends on who leads.
///
/// This type keeps the committed part of that history (the pending part is the replica's tree).
struct LeaderReputation: Sendable {
    struct Entry: Sendable, Equatable {
        var height: Height
        var participants: [MemberID]
    }

    let window: Int
    let lag: UInt64
    /// Committed blocks, ascending and contiguous, at most `capacity` (a ring over `head`).
    private(set) var entries: [Entry] = []
    private var head = 0

    init(window: Int, lag: UInt64) {
        self.window = window
        self.lag = lag
    }

    /// History kept: the window, with room for the commits a replica may be ahead by.
    var capacity: Int { window + Int(min(lag, 4096)) + 64 }

    /// Records a committed block and the certificate that certifies it (blocks must come in
    /// height order; a gap restarts the history).
    mutating func record(_ block: Block, certificate: QuorumCertificate) {
        guard window > 0, block.header.height.value > 0 else { return }
        if let last = entries.last, last.height.next != block.header.height {
            entries.removeAll()
            head = 0
        }
        entries.append(Entry(height: block.header.height, participants: Self.participants(block, certificate)))
        if entries.count - head > capacity {
            head += 1
            if head > 1024 {
                entries.removeFirst(head)
                head = 0
            }
        }
    }

    /// A block's participants: its proposer and the signers of `certificate`, which certifies it.
    static func participants(_ block: Block, _ certificate: QuorumCertificate) -> [MemberID] {
        var out: [MemberID] = []
        forEachParticipant(block, certificate) { out.append($0) }
        return out
    }

    static func forEachParticipant(_ block: Block, _ certificate: QuorumCertificate, _ body: (MemberID) -> Void) {
        for signature in certificate.signatures { body(signature.signer) }
        body(block.header.proposer)
    }

    /// The members of a validator set that took part in a window: one flag per member, in member
    /// order. Marking looks each participant up in the set's index instead of building a
    /// `Set<MemberID>` per election, which grew a table for every election (several per round).
    struct Electorate {
        let set: ValidatorSet
        private(set) var active: [Bool]

        init(_ set: ValidatorSet) {
            self.set = set
            active = [Bool](repeating: false, count: set.count)
        }

        mutating func mark(_ member: MemberID) {
            if let i = set.index(of: member) { active[i] = true }
        }

        /// Marks a block's participants (`LeaderReputation.participants`).
        mutating func mark(_ block: Block, certifiedBy certificate: QuorumCertificate) {
            LeaderReputation.forEachParticipant(block, certificate) { mark($0) }
        }
    }

    /// The participants recorded for the committed block at `height`, nil when not held.
    func participants(at height: Height) -> [MemberID]? {
        guard let first = entries.dropFirst(head).first, height >= first.height,
            let last = entries.last, height <= last.height
        else { return nil }
        return entries[head + Int(height.value - first.height.value)].participants
    }

    /// The leader of `round` among `set` given the window's participants: the validator at index
    /// round mod k among the k active members of the set, or round-robin over the whole set when
    /// fewer than a quorum are active.
    static func elect(_ round: Round, _ electorate: Electorate) -> MemberID {
        let set = electorate.set
        let candidates = electorate.active.indices.filter { electorate.active[$0] }
        guard candidates.count >= set.quorum else { return set.leader(for: round) }
        return set.validators[candidates[Int(round.value % UInt64(candidates.count))]].member
    }
}

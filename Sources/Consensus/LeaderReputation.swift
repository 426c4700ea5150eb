import ChainCore
import Ledger

/// Leader reputation (after DiemBFT v4's): a round's leader rotates among the validators that took
/// part in recent committed blocks, so a crashed validator stops costing a round timeout — and the
/// block before its round — every rotation.
///
/// The participants of a committed block are its proposer and the signers of its certificate. For
/// round r the window is the `window` committed blocks ending at the latest one whose round is at
/// most r − `lag`: every honest replica in round r has committed that far, so they all elect the
/// same leader from the same committed history. The leader of r is then the validator at index
/// r mod k among the k validators (in member order) of the set in force that appear in the window.
/// With fewer than `window` blocks known, or fewer than a quorum of active validators, it is plain
/// round-robin over the whole set. Safety never depends on who leads; a replica that elects another
/// leader (one lagging behind the others) only withholds its vote until it catches up.
struct LeaderReputation: Sendable {
    struct Entry: Sendable, Equatable {
        var round: Round
        var participants: [MemberID]
    }

    let window: Int
    let lag: UInt64
    /// Committed blocks, ascending, at most `capacity`.
    private(set) var entries: [Entry] = []
    private var head = 0

    init(window: Int, lag: UInt64) {
        self.window = window
        self.lag = lag
    }

    /// Enough history for any round: the window plus the blocks committed within `lag` rounds.
    var capacity: Int { window + Int(min(lag, 4096)) + 1 }

    /// Records a committed block and the certificate that certifies it.
    mutating func record(_ block: Block, certificate: QuorumCertificate) {
        guard window > 0, block.header.height.value > 0 else { return }
        var participants = certificate.signatures.map(\.signer)
        participants.append(block.header.proposer)
        entries.append(Entry(round: block.header.round, participants: participants))
        if entries.count - head > capacity {
            head += 1
            if head > 1024 {
                entries.removeFirst(head)
                head = 0
            }
        }
    }

    /// The leader of `round` among `set`.
    func leader(for round: Round, in set: ValidatorSet) -> MemberID {
        guard window > 0, round.value > lag, let active = active(anchorRound: Round(round.value - lag)) else {
            return set.leader(for: round)
        }
        let candidates = set.validators.filter { active.contains($0.member) }
        guard candidates.count >= set.quorum else { return set.leader(for: round) }
        return candidates[Int(round.value % UInt64(candidates.count))].member
    }

    /// The participants of the `window` blocks ending at the latest one with a round at most
    /// `anchorRound`; nil when fewer are known.
    func active(anchorRound: Round) -> Set<MemberID>? {
        var end = entries.count
        while end > head && entries[end - 1].round > anchorRound { end -= 1 }
        guard end - head >= window else { return nil }
        var out = Set<MemberID>()
        for entry in entries[(end - window)..<end] { out.formUnion(entry.participants) }
        return out
    }
}

import ChainCore
import Consensus
import Ledger
import Testing

@testable import Node

/// The replica applies the core's commits in height order. A nested core step (an `.execute`
/// effect reports its result at once) can return a commit that extends an older one its outer step
/// returned after the `.execute`, so the queue holds them newest first; applied in queue order that
/// crashed a validator on "non-contiguous commit".
struct CommitOrderTests {
    let chainID = ChainID(TestSHA256().hash(Domain.genesis, [7]))
    let validators = try! ValidatorSet([
        Validator(member: try! MemberID("validator-1"), publicKey: [UInt8](repeating: 1, count: 32))
    ])

    /// A chain of `n` blocks above genesis, each certified.
    func chain(_ n: Int) -> [CommittedBlock] {
        var parent = TestSHA256().hash(Domain.genesis, [0])
        var out: [CommittedBlock] = []
        for h in 1...n {
            let block = Block(
                chainID: chainID, height: Height(UInt64(h)), round: Round(UInt64(h)), parentHash: parent,
                proposer: try! MemberID("validator-1"), timestampMillis: Int64(1_000 + h), stateRoot: .zero,
                transactions: [], hasher: TestSHA256())
            let hash = block.hash(using: TestSHA256())
            let qc = QuorumCertificate(
                voteData: VoteData(
                    block: BlockReference(height: Height(UInt64(h)), round: Round(UInt64(h)), hash: hash),
                    committed: nil),
                signatures: [])
            out.append(CommittedBlock(block: block, hash: hash, certificate: qc, stateRoot: .zero))
            parent = hash
        }
        return out
    }

    func commit(_ blocks: ArraySlice<CommittedBlock>) throws -> Commit {
        let last = try #require(blocks.last)
        let certificate = try CommitCertificate(
            QuorumCertificate(
                voteData: VoteData(
                    block: BlockReference(
                        height: last.block.header.height.next, round: last.block.header.round.next, hash: .zero),
                    committed: BlockReference(
                        height: last.block.header.height, round: last.block.header.round, hash: last.hash)),
                signatures: []))
        return Commit(
            blocks: Array(blocks), certificate: certificate, schedule: ValidatorSchedule(genesis: validators))
    }

    func heights(_ plan: [(blocks: [StoredBlock], schedule: ValidatorSchedule)]) -> [UInt64] {
        plan.flatMap { $0.blocks.map(\.height.value) }
    }

    @Test func nestedCommitQueuedFirstIsAppliedAfterTheOlderOne() throws {
        let blocks = chain(5)
        // The outer step committed 1...2; its nested step then committed 3...5, queued first.
        let queue = [try commit(blocks[2..<5]), try commit(blocks[0..<2])]
        let plan = ReplicaHost.appendPlan(queue, after: Height(0))
        #expect(heights(plan) == [1, 2, 3, 4, 5])
        // Each commit's last block carries its commit certificate, the others none.
        #expect(plan.flatMap { $0.blocks.map { $0.commitCertificate != nil } } == [false, true, false, false, true])
        #expect(plan.last?.blocks.last?.commitCertificate?.committed.height == Height(5))
    }

    @Test func heightsAlreadyCommittedOrCoveredTwiceAreDropped() throws {
        let blocks = chain(4)
        // A restarted core commits again from the replica's tip: 1...3 overlaps 1...2.
        let queue = [try commit(blocks[0..<2]), try commit(blocks[0..<3]), try commit(blocks[3..<4])]
        #expect(heights(ReplicaHost.appendPlan(queue, after: Height(0))) == [1, 2, 3, 4])
        #expect(heights(ReplicaHost.appendPlan(queue, after: Height(2))) == [3, 4])
        #expect(heights(ReplicaHost.appendPlan(queue, after: Height(4))) == [])
    }
}

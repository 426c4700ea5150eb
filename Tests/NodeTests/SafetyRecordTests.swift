import ChainCore
import Consensus
import Ledger
import Testing

@testable import Node

/// The safety record carries the chain up to its high certificate's block, so a validator that
/// restarts after every validator crashed still holds the block its lock points to.
struct SafetyRecordTests {
    let chainID = ChainID(TestSHA256().hash(Domain.genesis, [7]))
    let proposer = try! MemberID("validator-1")

    /// `later` moves the timestamp: another block at the same height on the same parent.
    func block(_ h: UInt64, parent: Hash, later: Int64 = 0) -> (LinkedBlock, Hash) {
        let block = Block(
            chainID: chainID, height: Height(h), round: Round(h), parentHash: parent, proposer: proposer,
            timestampMillis: Int64(1_000 + h) + later, stateRoot: .zero, transactions: [], hasher: TestSHA256())
        let justify = QuorumCertificate(
            voteData: VoteData(
                block: BlockReference(height: Height(h - 1), round: Round(h - 1), hash: parent), committed: nil),
            signatures: [])
        return (LinkedBlock(block: block, justify: justify), block.hash(using: TestSHA256()))
    }

    /// Blocks 1…4 above genesis; the core committed 1, and certified 3.
    func fixture() -> (pending: [Hash: LinkedBlock], hashes: [Hash], data: SafetyData) {
        var parent = TestSHA256().hash(Domain.genesis, [0])
        var pending: [Hash: LinkedBlock] = [:]
        var hashes: [Hash] = []
        for h in UInt64(1)...4 {
            let (linked, hash) = block(h, parent: parent)
            pending[hash] = linked
            hashes.append(hash)
            parent = hash
        }
        var data = SafetyData(genesisQC: QuorumCertificate.genesis(TestSHA256().hash(Domain.genesis, [0])))
        data.highQC = QuorumCertificate(
            voteData: VoteData(
                block: BlockReference(height: Height(3), round: Round(3), hash: hashes[2]), committed: nil),
            signatures: [])
        data.lastVotedRound = Round(4)
        data.oneChainRound = Round(3)
        return (pending, hashes, data)
    }

    @Test func theChainAboveTheCommittedTipToTheHighCertificateGoesWithTheRecord() throws {
        let (pending, hashes, data) = fixture()
        let bytes = SafetyRecord.bytes(for: data, pending: pending, committed: Height(1))
        let record = try SafetyRecord(canonicalBytes: bytes)
        #expect(record.data == data)
        // Blocks 2 and 3, parent first; not the committed block 1, not block 4 above the certificate.
        #expect(record.blocks.map { $0.block.hash(using: TestSHA256()) } == [hashes[1], hashes[2]])
    }

    @Test func theBlockOfTheLastVoteGoesWithTheRecordOnItsBranchOrAnother() throws {
        var (pending, hashes, data) = fixture()
        let voter = try MemberID("validator-2")
        func vote(_ h: UInt64, _ hash: Hash) -> Vote {
            Vote(
                data: VoteData(block: BlockReference(height: Height(h), round: Round(h), hash: hash), committed: nil),
                voter: voter, signature: [])
        }
        // A vote for block 4, above the certificate's block 3: blocks 2, 3 and 4.
        data.lastVote = vote(4, hashes[3])
        var record = try SafetyRecord(
            canonicalBytes: SafetyRecord.bytes(for: data, pending: pending, committed: Height(1)))
        #expect(record.blocks.map { $0.block.hash(using: TestSHA256()) } == [hashes[1], hashes[2], hashes[3]])
        // A vote on another branch (block 3' on block 2): both chains, lowest height first.
        let (fork, forkHash) = block(3, parent: hashes[1], later: 1)
        pending[forkHash] = fork
        data.lastVote = vote(3, forkHash)
        record = try SafetyRecord(
            canonicalBytes: SafetyRecord.bytes(for: data, pending: pending, committed: Height(1)))
        let taken = record.blocks.map { $0.block.hash(using: TestSHA256()) }
        #expect(taken.count == 3 && taken[0] == hashes[1] && Set(taken[1...]) == [hashes[2], forkHash])
    }

    @Test func aRecordWrittenBeforeBlocksWereKeptStillReads() throws {
        let (_, _, data) = fixture()
        let record = try SafetyRecord(canonicalBytes: data.canonicalBytes)
        #expect(record.data == data)
        #expect(record.blocks.isEmpty)
    }

    @Test func blocksAreDroppedFromTheBottomToFitAndNeverTheSafetyData() throws {
        let (pending, hashes, data) = fixture()
        let one = SafetyRecord(data: data, blocks: [pending[hashes[2]]!]).canonicalBytes().count
        let bytes = SafetyRecord.bytes(for: data, pending: pending, committed: Height(1), bytesMax: one)
        #expect(
            try SafetyRecord(canonicalBytes: bytes).blocks.map { $0.block.hash(using: TestSHA256()) } == [hashes[2]])
        let none = SafetyRecord.bytes(for: data, pending: pending, committed: Height(1), bytesMax: 10)
        let record = try SafetyRecord(canonicalBytes: none)
        #expect(record.data == data && record.blocks.isEmpty)
    }

    @Test func garbageIsAnErrorNotAnEmptyRecord() {
        #expect(throws: (any Error).self) { try SafetyRecord(canonicalBytes: [2, 0, 0, 0, 9]) }
        #expect(throws: (any Error).self) { try SafetyRecord(canonicalBytes: [7]) }
    }
}

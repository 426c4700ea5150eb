import ChainCore
import Testing

@testable import Ledger

@Suite struct BlockTests {
    let hasher = SHA256Hasher()

    func sampleBlock(_ count: Int = 3) -> Block {
        Block(
            chainID: testChainID, height: Height(7), round: Round(9), parentHash: hasher.digest([1]),
            proposer: member("bureau-a"), timestampMillis: 1_700_000_000_000, stateRoot: hasher.digest([2]),
            transactions: (0..<count).map { transaction($0) }, hasher: hasher)
    }

    @Test func roundTripsCanonically() throws {
        let block = sampleBlock()
        let decoded = try Block(canonicalBytes: block.canonicalBytes)
        #expect(decoded == block)
        #expect(decoded.hash(using: hasher) == block.hash(using: hasher))
        try decoded.validateBody(hasher: hasher)
    }

    @Test func headerHashCoversEveryField() {
        let header = sampleBlock().header
        let base = header.hash(using: hasher)
        var changes = [BlockHeader]()
        var h = header
        h.height = Height(8)
        changes.append(h)
        h = header
        h.round = Round(10)
        changes.append(h)
        h = header
        h.parentHash = .zero
        changes.append(h)
        h = header
        h.proposer = member("bureau-b")
        changes.append(h)
        h = header
        h.timestampMillis += 1
        changes.append(h)
        h = header
        h.transactionRoot = .zero
        changes.append(h)
        h = header
        h.stateRoot = .zero
        changes.append(h)
        h = header
        h.chainID = ChainID(.zero)
        changes.append(h)
        for c in changes { #expect(c.hash(using: hasher) != base) }
    }

    @Test func swappedBodyIsRejected() {
        var block = sampleBlock()
        block.transactions.swapAt(0, 1)
        #expect(throws: LedgerError.self) { try block.validateBody(hasher: hasher) }
        block = sampleBlock()
        block.transactions.removeLast()
        #expect(throws: LedgerError.self) { try block.validateBody(hasher: hasher) }
    }

    @Test func inclusionProofsVerifyAgainstTheHeader() {
        let block = sampleBlock(5)
        for i in 0..<5 {
            let proof = block.inclusionProof(index: i, hasher: hasher)
            #expect(
                proof.verify(
                    leafData: block.transactions[i].canonicalBytes, root: block.header.transactionRoot, hasher: hasher))
        }
    }

    @Test func decoderBoundsTheTransactionCountBeforeAllocating() {
        var e = CanonicalEncoder()
        e.version(1)
        e.value(sampleBlock(0).header)
        e.u32(60_000)  // claims 60,000 transactions with no bytes behind them
        #expect(throws: ChainCoreError.self) { try Block(canonicalBytes: e.bytes) }
        var f = CanonicalEncoder()
        f.version(1)
        f.value(sampleBlock(0).header)
        f.u32(UInt32.max)
        #expect(throws: ChainCoreError.self) { try Block(canonicalBytes: f.bytes) }
    }

    @Test func genesisHeaderIsDeterministic() {
        let a = BlockHeader.genesis(chainID: testChainID, stateRoot: .zero, timestampMillis: 5, hasher: hasher)
        let b = BlockHeader.genesis(chainID: testChainID, stateRoot: .zero, timestampMillis: 5, hasher: hasher)
        #expect(a.hash(using: hasher) == b.hash(using: hasher))
        #expect(a.height == Height(0))
    }
}

import ChainCore
import ClusterSimulation
import Ledger
import Testing

@testable import Consensus

@Suite struct ReplicaTests {
    @Test func happyPathCommitsTheSameChainEverywhere() {
        var cluster = ScriptedCluster()
        for i in 0..<4 { cluster.step(i, .transactionsAvailable((0..<6).map(tx))) }
        cluster.start()
        cluster.run(limit: 600)
        let heights = cluster.commits.map(\.count)
        #expect(heights.min() ?? 0 >= 10)
        let shortest = heights.min() ?? 0
        for i in 1..<4 {
            #expect(cluster.commits[i].prefix(shortest).map(\.hash) == cluster.commits[0].prefix(shortest).map(\.hash))
        }
        // Batching: at most 4 transactions per block; all 6 end up committed exactly once.
        let included = cluster.commits[0].flatMap(\.block.transactions)
        #expect(cluster.commits[0].allSatisfy { $0.block.transactions.count <= 4 })
        #expect(Set(included.map { $0.hash(using: hasher) }).count == 6)
        #expect(included.count == 6)
        // Each header carries its parent's post-execution state root.
        for (a, b) in zip(cluster.commits[0], cluster.commits[0].dropFirst()) {
            #expect(b.block.header.stateRoot == a.stateRoot)
            #expect(b.block.header.parentHash == a.hash)
        }
    }

    /// A replica never spends a signature check on its own signatures (its proposal, its vote
    /// to itself as next leader, its vote inside a certificate). In this scripted run that is
    /// ~3.2 checks per replica per committed block instead of ~4.3.
    @Test func aReplicaDoesNotCheckItsOwnSignatures() {
        let verifiers = (0..<4).map { _ in CountingVerifier() }
        var cluster = ScriptedCluster(verifiers: verifiers)
        for i in 0..<4 { cluster.step(i, .transactionsAvailable((0..<6).map(tx))) }
        cluster.start()
        cluster.run(limit: 600)
        let rounds = cluster.commits.map(\.count).min() ?? 0
        #expect(rounds >= 10)
        for i in 0..<4 {
            #expect(verifiers[i].checks(of: signers[i].publicKey) == 0)
            #expect(verifiers[i].total * 10 <= 36 * (cluster.commits[i].count + 4))
        }
    }

    @Test func anIdleLeaderPacesEmptyBlocksAndTransactionsGoOutAtOnce() {
        var cluster = ScriptedCluster(idleBlockIntervalMillis: 500)
        cluster.start()
        cluster.run(limit: 5_000)
        // Block 1 goes out at once (genesis is old); block 2's leader waits for block 1 to age.
        let idleHeight = cluster.commits.map(\.count).max() ?? 0
        #expect(idleHeight <= 1)
        #expect(cluster.proposalsDue.contains { $0 != nil })
        // Each wake-up lets one empty block out, no more.
        for _ in 0..<6 {
            let before = cluster.now
            let fired = cluster.fireDueProposal()
            #expect(fired)
            #expect(cluster.now >= before)
            cluster.run(limit: 5_000)
        }
        let paced = cluster.commits[0]
        #expect(paced.count >= 4 && paced.count <= 7)
        for (a, b) in zip(paced, paced.dropFirst()) {
            #expect(b.block.header.timestampMillis - a.block.header.timestampMillis >= 500)
        }
        // A transaction is proposed without waiting, and carried to commit without waiting: no
        // wake-up is fired below, yet every replica commits it.
        for i in 0..<4 { cluster.step(i, .transactionsAvailable([tx(1)])) }
        cluster.run(limit: 5_000)
        for i in 0..<4 {
            #expect(
                cluster.commits[i].contains {
                    $0.block.transactions.map { t in t.hash(using: hasher) } == [tx(1).hash(using: hasher)]
                })
        }
        // And then the chain is idle again: one more wake-up pending, nothing proposed meanwhile.
        let settled = cluster.commits[0].count
        cluster.run(limit: 5_000)
        #expect(cluster.commits[0].count == settled)
        #expect(cluster.proposalsDue.contains { $0 != nil })
    }

    @Test func silentLeaderIsSkippedThroughATimeoutCertificate() {
        var cluster = ScriptedCluster()
        cluster.down = [1]  // the leader of round 1
        cluster.start()
        cluster.run(limit: 50)
        #expect(cluster.commits[0].isEmpty)
        // Every fourth round belongs to the silent leader: each costs a timeout.
        for _ in 0..<4 {
            cluster.fireTimers()
            cluster.run(limit: 400)
        }
        #expect(cluster.commits[0].count >= 3)
        #expect(cluster.commits[0].first?.block.header.round ?? Round(0) >= Round(2))
        #expect(cluster.commits[2].prefix(3).map(\.hash) == cluster.commits[0].prefix(3).map(\.hash))
    }

    /// A crashed validator costs a timeout every rotation under round-robin; with leader
    /// reputation it stops being elected once a window of committed blocks goes by without it.
    @Test func leaderReputationStopsElectingACrashedValidator() {
        func run(reputationWindow: Int) -> (timeouts: Int, lateTimeouts: Int, commits: [CommittedBlock]) {
            var cluster = ScriptedCluster(reputationWindow: reputationWindow)
            cluster.down = [1]
            cluster.start()
            var timeouts = 0
            var lateTimeouts = 0
            for _ in 0..<300 where (cluster.commits[0].count) < 60 {
                cluster.run(limit: 200)
                if cluster.inbox.isEmpty {
                    cluster.fireTimers()
                    timeouts += 1
                    if cluster.commits[0].count >= 30 { lateTimeouts += 1 }
                }
            }
            return (timeouts, lateTimeouts, cluster.commits[0])
        }
        let plain = run(reputationWindow: 0)
        let reputation = run(reputationWindow: 10)
        #expect(plain.commits.count >= 60 && reputation.commits.count >= 60)
        // Round-robin: about one timeout per rotation, all along.
        #expect(plain.lateTimeouts >= 5, "round-robin timeouts after height 30: \(plain.lateTimeouts)")
        // Reputation: none once the crashed validator is out of the window.
        #expect(reputation.lateTimeouts == 0, "timeouts after height 30: \(reputation.lateTimeouts)")
        #expect(reputation.timeouts < plain.timeouts)
        let proposers = reputation.commits.dropFirst(30).map(\.block.header.proposer)
        #expect(!proposers.contains(member(1)))
        #expect(Set(proposers) == [member(0), member(2), member(3)])
    }

    /// A vote goes to the next leader. When its certificate commits a block with transactions, a
    /// copy goes to every other validator too, and a validator that is not the next leader forms
    /// the certificate from the copies (learning the commit) before any proposal brings it.
    @Test func votesThatCommitTransactionsAreSharedAndEveryValidatorFormsTheCertificate() throws {
        // Round 1's leader is validator-1, round 2's validator-2; validator-0 votes.
        var r = makeReplica(0)
        _ = r.step(Input(.start, nowMillis: 0))
        let block = Block(
            chainID: chainID, height: Height(1), round: Round(1), parentHash: genesisHash, proposer: member(1),
            timestampMillis: 1, stateRoot: genesisRoot, transactions: [tx(1)], hasher: hasher)
        let reference = BlockReference(height: Height(1), round: Round(1), hash: block.hash(using: hasher))
        let proposal = Proposal(
            block: block, justify: genesisQC, timeoutCertificate: nil,
            signature: try signers[1].sign(Proposal.signingBytes(reference, chainID: chainID)))
        // A certificate on block 1 commits nothing (its parent is the genesis block): no copies.
        let (toLeader, copies, data) = votesSent(
            r.step(Input(.message(from: member(1), .proposal(proposal)), nowMillis: 2)))
        #expect(toLeader == [member(2)])
        #expect(copies.isEmpty)
        let voteData = try #require(data)
        #expect(r.currentRound == Round(1))
        for i in [1, 3] {
            let vote = Vote(
                data: voteData, voter: member(i),
                signature: try signers[i].sign(voteData.signingBytes(chainID: chainID)))
            _ = r.step(Input(.message(from: member(i), .vote(vote)), nowMillis: 3))
        }
        // Its own vote and two others are a quorum of four: the certificate is formed here.
        #expect(r.currentRound == Round(2))
        // A fourth vote for certified data costs no signature check and changes nothing.
        let late = Vote(data: voteData, voter: member(2), signature: [UInt8](repeating: 0, count: 64))
        #expect(r.step(Input(.message(from: member(2), .vote(late)), nowMillis: 4)).isEmpty)

        // Block 2 extends block 1 in the next round: a certificate on it commits block 1 and its
        // transaction, so every validator gets a copy of the vote.
        let root1 = Hash(w0: 1, w1: 2, w2: 3, w3: 4)
        _ = r.step(Input(.executed(blockHash: reference.hash, stateRoot: root1, validatorUpdates: []), nowMillis: 5))
        let child = Block(
            chainID: chainID, height: Height(2), round: Round(2), parentHash: reference.hash, proposer: member(2),
            timestampMillis: 6, stateRoot: root1, transactions: [], hasher: hasher)
        let childReference = BlockReference(height: Height(2), round: Round(2), hash: child.hash(using: hasher))
        let childProposal = Proposal(
            block: child, justify: r.highQC, timeoutCertificate: nil,
            signature: try signers[2].sign(Proposal.signingBytes(childReference, chainID: chainID)))
        let (toNext, childCopies, childData) = votesSent(
            r.step(Input(.message(from: member(2), .proposal(childProposal)), nowMillis: 7)))
        #expect(toNext.count == 1)
        #expect(childData?.committed?.hash == reference.hash)
        #expect(Set(childCopies) == Set([1, 2, 3].map(member)).subtracting(toNext))
    }

    private func votesSent(_ effects: [Effect]) -> (toLeader: [MemberID], copies: [MemberID], data: VoteData?) {
        var toLeader: [MemberID] = []
        var copies: [MemberID] = []
        var data: VoteData?
        for effect in effects {
            if case .send(let to, .vote(let v)) = effect {
                toLeader.append(to)
                data = v.data
            }
            if case .share(let to, .vote) = effect { copies.append(to) }
        }
        return (toLeader, copies, data)
    }

    /// The leader signs its proposal and its own vote for it in one step. The proposal depends on
    /// no saved state and comes first; the vote only after the save of the record it updates.
    @Test func aLeadersProposalLeavesBeforeItsOwnVoteIsSaved() throws {
        // Round 1's leader is validator-1.
        var r = makeReplica(1)
        _ = r.step(Input(.transactionsAvailable([tx(1)]), nowMillis: 0))
        let effects = r.step(Input(.start, nowMillis: 1))
        func index(_ match: (Effect) -> Bool) -> Int? { effects.firstIndex(where: match) }
        let proposal = try #require(
            index {
                if case .broadcast(.proposal) = $0 { return true }
                return false
            })
        let save = try #require(
            index {
                if case .persistSafety(let data) = $0 { return data.lastVotedRound == Round(1) }
                return false
            })
        let vote = try #require(
            index {
                switch $0 {
                case .send(_, .vote), .share(_, .vote), .broadcast(.vote): return true
                default: return false
                }
            })
        #expect(proposal < save)
        #expect(save < vote)
    }

    /// A certificate whose signatures arrived earlier as votes, checked then, costs no second
    /// check: only the signature of a vote not seen yet is checked.
    @Test func aCertificateReusesTheVotesAlreadyChecked() throws {
        let counting = CountingVerifier()
        var r = makeReplica(0, verifier: counting)
        _ = r.step(Input(.start, nowMillis: 0))
        let b1 = Block(
            chainID: chainID, height: Height(1), round: Round(1), parentHash: genesisHash, proposer: member(1),
            timestampMillis: 1, stateRoot: genesisRoot, transactions: [tx(1)], hasher: hasher)
        let h1 = b1.hash(using: hasher)
        let ref1 = BlockReference(height: Height(1), round: Round(1), hash: h1)
        let p1 = Proposal(
            block: b1, justify: genesisQC, timeoutCertificate: nil,
            signature: try signers[1].sign(Proposal.signingBytes(ref1, chainID: chainID)))
        var data: VoteData?
        for effect in r.step(Input(.message(from: member(1), .proposal(p1)), nowMillis: 2)) {
            if case .send(_, .vote(let v)) = effect { data = v.data }
        }
        let voteData = try #require(data)
        func signature(_ i: Int) throws -> ValidatorSignature {
            ValidatorSignature(
                signer: member(i), signature: try signers[i].sign(voteData.signingBytes(chainID: chainID)))
        }
        // Validator-3's vote arrives (and is checked) before the proposal that certifies block 1.
        let vote3 = try signature(3)
        _ = r.step(
            Input(
                .message(from: member(3), .vote(Vote(data: voteData, voter: member(3), signature: vote3.signature))),
                nowMillis: 3))
        #expect(counting.total == 1)
        let qc = QuorumCertificate(voteData: voteData, signatures: [try signature(0), try signature(2), vote3])
        let b2 = Block(
            chainID: chainID, height: Height(2), round: Round(2), parentHash: h1, proposer: member(2),
            timestampMillis: 2, stateRoot: genesisRoot, transactions: [], hasher: hasher)
        let ref2 = BlockReference(height: Height(2), round: Round(2), hash: b2.hash(using: hasher))
        let p2 = Proposal(
            block: b2, justify: qc, timeoutCertificate: nil,
            signature: try signers[2].sign(Proposal.signingBytes(ref2, chainID: chainID)))
        _ = r.step(Input(.message(from: member(2), .proposal(p2)), nowMillis: 4))
        // Only validator-2's signature was new; its own and validator-3's were known.
        #expect(r.currentRound == Round(2))
        #expect(counting.total == 2)
        #expect(counting.checks(of: signers[2].publicKey) == 1)
        #expect(counting.checks(of: signers[3].publicKey) == 1)
    }

    @Test func equivocatingVotesProduceEvidence() throws {
        var leader = makeReplica(2)  // leader of round 2 collects round-1 votes
        _ = leader.step(Input(.start, nowMillis: 0))
        func vote(_ tag: UInt8) -> Vote {
            let data = VoteData(
                block: BlockReference(height: Height(1), round: Round(1), hash: hasher.digest([tag])), committed: nil)
            // swift-format-ignore: NeverUseForceTry
            return Vote(
                data: data, voter: member(3), signature: try! signers[3].sign(data.signingBytes(chainID: chainID)))
        }
        _ = leader.step(Input(.message(from: member(3), .vote(vote(1))), nowMillis: 1))
        let effects = leader.step(Input(.message(from: member(3), .vote(vote(2))), nowMillis: 2))
        let evidence = effects.compactMap { effect -> Evidence? in
            if case .evidence(let e) = effect { return e }
            return nil
        }
        #expect(evidence.count == 1)
        #expect(evidence.first?.offender == member(3))
        // A vote with a bad signature is dropped without evidence.
        var bad = vote(3)
        bad.signature[0] ^= 1
        let result1 = leader.step(Input(.message(from: member(3), .vote(bad)), nowMillis: 3))
        #expect(result1.isEmpty)
    }

    @Test func hostileInputIsIgnored() {
        var r = makeReplica(0)
        _ = r.step(Input(.start, nowMillis: 0))
        let round = r.currentRound
        // A validly signed timeout for a huge round: no state, no effects, round unchanged.
        let data = TimeoutData(round: Round(1 << 62), highQCRound: Round(0))
        let huge = TimeoutVote(
            data: data, highQC: genesisQC, lastRoundCertificate: nil, voter: member(2),
            // swift-format-ignore: NeverUseForceTry
            signature: try! signers[2].sign(data.signingBytes(chainID: chainID)))
        let result2 = r.step(Input(.message(from: member(2), .timeout(huge)), nowMillis: 1))
        #expect(result2.isEmpty)
        #expect(r.currentRound == round)
        // A proposal from a non-validator key, and one from the wrong leader.
        for proposer in [5, 3] {
            let block = Block(
                chainID: chainID, height: Height(1), round: Round(1), parentHash: genesisHash,
                proposer: member(proposer),
                timestampMillis: 1, stateRoot: genesisRoot, transactions: [], hasher: hasher)
            let reference = BlockReference(height: Height(1), round: Round(1), hash: block.hash(using: hasher))
            let p = Proposal(
                block: block, justify: genesisQC, timeoutCertificate: nil,
                // swift-format-ignore: NeverUseForceTry
                signature: try! signers[proposer].sign(Proposal.signingBytes(reference, chainID: chainID)))
            let result3 = r.step(Input(.message(from: member(proposer), .proposal(p)), nowMillis: 2))
            #expect(result3.isEmpty)
        }
        // Garbage bytes and an oversized claim are dropped.
        let result4 = r.step(Input(.messageBytes(from: member(1), [2, 0xff, 0xff]), nowMillis: 3))
        #expect(result4.isEmpty)
        let result5 = r.step(Input(.messageBytes(from: member(1), [5, 1, 0xff, 0xff, 0xff, 0xff]), nowMillis: 3))
        #expect(result5.isEmpty)
    }

    @Test func oversizedOrTamperedProposalGetsNoVote() {
        // Leader of round 1 is validator-1; validator-0 receives.
        var r = makeReplica(0)
        _ = r.step(Input(.start, nowMillis: 0))
        func proposal(_ txs: [TransactionEnvelope], tamper: Bool = false) -> Proposal {
            var block = Block(
                chainID: chainID, height: Height(1), round: Round(1), parentHash: genesisHash, proposer: member(1),
                timestampMillis: 1, stateRoot: genesisRoot, transactions: txs, hasher: hasher)
            if tamper { block.transactions.removeLast() }
            let reference = BlockReference(height: Height(1), round: Round(1), hash: block.hash(using: hasher))
            return Proposal(
                block: block, justify: genesisQC, timeoutCertificate: nil,
                // swift-format-ignore: NeverUseForceTry
                signature: try! signers[1].sign(Proposal.signingBytes(reference, chainID: chainID)))
        }
        func votes(_ effects: [Effect]) -> Int {
            effects.filter {
                if case .send(_, .vote) = $0 { return true }
                return false
            }.count
        }
        var effects = r.step(Input(.message(from: member(1), .proposal(proposal((0..<5).map(tx)))), nowMillis: 2))
        #expect(votes(effects) == 0)
        effects = r.step(
            Input(.message(from: member(1), .proposal(proposal([tx(1), tx(2)], tamper: true))), nowMillis: 2))
        #expect(votes(effects) == 0)
        effects = r.step(Input(.message(from: member(1), .proposal(proposal([tx(1), tx(2)]))), nowMillis: 2))
        // Persist comes before the vote is sent.
        let persistIndex = effects.firstIndex {
            if case .persistSafety = $0 { return true }
            return false
        }
        let voteIndex = effects.firstIndex {
            if case .send(_, .vote) = $0 { return true }
            return false
        }
        // The block executes first (the vote waits for the parent's state, which genesis has).
        #expect(voteIndex != nil)
        #expect(persistIndex != nil)
        if let p = persistIndex, let v = voteIndex { #expect(p < v) }
    }

    /// A proposal straight from its proposer is authenticated by that validator's link; relayed
    /// by anyone else its signature must verify, and conflicting proposals count as evidence only
    /// when both signatures verify.
    @Test func proposalSignaturesAreCheckedUnlessFromTheProposersLink() {
        func proposal(_ txs: [TransactionEnvelope], badSignature: Bool) -> Proposal {
            let block = Block(
                chainID: chainID, height: Height(1), round: Round(1), parentHash: genesisHash, proposer: member(1),
                timestampMillis: 1, stateRoot: genesisRoot, transactions: txs, hasher: hasher)
            let reference = BlockReference(height: Height(1), round: Round(1), hash: block.hash(using: hasher))
            // swift-format-ignore: NeverUseForceTry
            var signature = try! signers[1].sign(Proposal.signingBytes(reference, chainID: chainID))
            if badSignature { signature[0] ^= 1 }
            return Proposal(block: block, justify: genesisQC, timeoutCertificate: nil, signature: signature)
        }
        func votes(_ effects: [Effect]) -> Int {
            effects.filter {
                if case .send(_, .vote) = $0 { return true }
                return false
            }.count
        }
        func evidence(_ effects: [Effect]) -> Int {
            effects.filter {
                if case .evidence = $0 { return true }
                return false
            }.count
        }
        let forged = proposal([tx(1)], badSignature: true)
        var relayed = makeReplica(0)
        _ = relayed.step(Input(.start, nowMillis: 0))
        #expect(votes(relayed.step(Input(.message(from: member(2), .proposal(forged)), nowMillis: 2))) == 0)
        #expect(votes(relayed.step(Input(.message(from: member(1), .proposal(forged)), nowMillis: 2))) == 1)

        var r = makeReplica(0)
        _ = r.step(Input(.start, nowMillis: 0))
        #expect(
            votes(
                r.step(
                    Input(
                        .message(from: member(1), .proposal(proposal([tx(1)], badSignature: false))),
                        nowMillis: 2))) == 1)
        let badTwin = proposal([tx(2)], badSignature: true)
        #expect(evidence(r.step(Input(.message(from: member(1), .proposal(badTwin)), nowMillis: 3))) == 0)
        let twin = proposal([tx(3)], badSignature: false)
        #expect(evidence(r.step(Input(.message(from: member(1), .proposal(twin)), nowMillis: 3))) == 1)
    }

    @Test func restartedReplicaDoesNotVoteTwice() throws {
        var cluster = ScriptedCluster()
        cluster.start()
        cluster.run(limit: 6)
        let persisted = try #require(cluster.safety[0])
        #expect(persisted.lastVotedRound >= Round(1))
        var restarted = makeReplica(0, safety: persisted)
        _ = restarted.step(Input(.start, nowMillis: 10_000))
        #expect(restarted.currentRound >= persisted.lastVotedRound)
        #expect(restarted.safety.data == persisted)
    }

    @Test func laggingReplicaCatchesUpByFetchingBlocks() {
        var cluster = ScriptedCluster()
        cluster.down = [3]
        cluster.start()
        for _ in 0..<4 {
            cluster.run(limit: 400)
            cluster.fireTimers()
        }
        cluster.run(limit: 400)
        let ahead = cluster.commits[0].count
        #expect(ahead >= 3)
        cluster.down = []
        cluster.inbox.removeAll()
        cluster.step(3, .start)
        for _ in 0..<4 {
            cluster.fireTimers()
            cluster.run(limit: 1000)
        }
        #expect(cluster.commits[3].count >= ahead)
        let k = min(cluster.commits[3].count, cluster.commits[0].count)
        #expect(cluster.commits[3].prefix(k).map(\.hash) == cluster.commits[0].prefix(k).map(\.hash))
    }
}

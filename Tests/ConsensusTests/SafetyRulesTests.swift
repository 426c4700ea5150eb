import ChainCore
import ClusterSimulation
import Ledger
import Testing

@testable import Consensus

@Suite struct SafetyRulesTests {
    func rules() -> SafetyRules {
        SafetyRules(member: member(1), chainID: chainID, signer: signers[1], data: SafetyData(genesisQC: genesisQC))
    }

    func ref(_ h: UInt64, _ r: UInt64, _ tag: UInt8 = 0) -> BlockReference {
        BlockReference(height: Height(h), round: Round(r), hash: hasher.digest([UInt8(h), UInt8(r), tag]))
    }

    func qc(_ block: BlockReference) -> QuorumCertificate {
        signedQC(VoteData(block: block, committed: nil), by: [0, 1, 2])
    }

    func tc(round: UInt64, highQCRounds: [UInt64], highQC: QuorumCertificate) -> TimeoutCertificate {
        let entries = highQCRounds.enumerated().map { i, r in
            let data = TimeoutData(round: Round(round), highQCRound: Round(r))
            // swift-format-ignore: NeverUseForceTry
            return TimeoutCertificate.Entry(
                signer: member(i), highQCRound: Round(r),
                signature: try! signers[i].sign(data.signingBytes(chainID: chainID)))
        }
        return TimeoutCertificate(round: Round(round), entries: entries, highQC: highQC)
    }

    @Test func votesOncePerRoundAndRepeatsTheSameVote() throws {
        var s = rules()
        let b1 = ref(1, 1)
        let result1 = s.vote(block: b1, justify: genesisQC, tc: nil, highQC: genesisQC)
        let first = try #require(result1)
        #expect(first.0.lastVotedRound == Round(1))
        #expect(first.1.data.committed == genesisQC.block)
        // The same block again: the same vote, no new signature state.
        let result2 = s.vote(block: b1, justify: genesisQC, tc: nil, highQC: genesisQC)
        let again = try #require(result2)
        #expect(again.1 == first.1)
        // A conflicting block in the same round: refused.
        let result3 = s.vote(block: ref(1, 1, 9), justify: genesisQC, tc: nil, highQC: genesisQC)
        #expect(result3 == nil)
        // The signature verifies over the documented bytes.
        #expect(
            verifier.verify(
                signature: first.1.signature, message: first.1.data.signingBytes(chainID: chainID),
                publicKey: signers[1].publicKey))
    }

    @Test func refusesOldRoundsAndUnjustifiedJumps() {
        var s = rules()
        let b1 = ref(1, 1)
        let result4 = s.vote(block: b1, justify: genesisQC, tc: nil, highQC: genesisQC)
        #expect(result4 != nil)
        let q1 = qc(b1)
        // Round 3 on a round-1 certificate needs a timeout certificate of round 2.
        let result5 = s.vote(block: ref(2, 3), justify: q1, tc: nil, highQC: q1)
        #expect(result5 == nil)
        // Round 2 directly after round 1 is fine and commits nothing beyond the parent.
        let v2 = s.vote(block: ref(2, 2), justify: q1, tc: nil, highQC: q1)
        #expect(v2?.1.data.committed == b1)
        // Never back to round 1 or 2.
        let result6 = s.vote(block: ref(2, 2, 7), justify: q1, tc: nil, highQC: q1)
        #expect(result6 == nil)
    }

    @Test func timeoutCertificateVoteNeedsTheHighestReportedCertificate() {
        var s = rules()
        let b1 = ref(1, 1)
        let b2 = ref(2, 2)
        let q1 = qc(b1)
        let q2 = qc(b2)
        // TC of round 3 in which someone reported a round-2 certificate.
        let t3 = tc(round: 3, highQCRounds: [1, 2, 1], highQC: q2)
        // A block of round 4 extending only the round-1 certificate would fork away from b2: refused.
        let result7 = s.vote(block: ref(2, 4, 1), justify: q1, tc: t3, highQC: q2)
        #expect(result7 == nil)
        // Extending the round-2 certificate is safe; it commits nothing (rounds are not consecutive).
        let v = s.vote(block: ref(3, 4), justify: q2, tc: t3, highQC: q2)
        #expect(v != nil)
        #expect(v?.1.data.committed == nil)
    }

    @Test func timeoutBlocksLaterVoteInThatRound() throws {
        var s = rules()
        let result8 = s.timeout(round: Round(1), highQC: genesisQC, lastTC: nil)
        let t = try #require(result8)
        #expect(t.0.lastVotedRound == Round(1))
        #expect(t.1.data == TimeoutData(round: Round(1), highQCRound: Round(0)))
        let result9 = s.vote(block: ref(1, 1), justify: genesisQC, tc: nil, highQC: genesisQC)
        #expect(result9 == nil)
        // Not for a round it was not justified to enter.
        let result10 = s.timeout(round: Round(5), highQC: genesisQC, lastTC: nil)
        #expect(result10 == nil)
    }

    @Test func timeoutMustReportAtLeastTheOneChainRound() {
        var s = rules()
        let b1 = ref(1, 1)
        let q1 = qc(b1)
        _ = s.vote(block: ref(1, 1), justify: genesisQC, tc: nil, highQC: genesisQC)
        _ = s.vote(block: ref(2, 2), justify: q1, tc: nil, highQC: q1)
        #expect(s.data.oneChainRound == Round(1))
        // Reporting the genesis certificate would hide the round-1 certificate it voted on.
        let t2 = tc(round: 2, highQCRounds: [0, 0, 0], highQC: genesisQC)
        let result11 = s.timeout(round: Round(3), highQC: genesisQC, lastTC: t2)
        #expect(result11 == nil)
        let result12 = s.timeout(round: Round(3), highQC: q1, lastTC: t2)
        #expect(result12 != nil)
    }

    @Test func unsafeHookVotesTwiceInARound() {
        var s = rules()
        s.unsafeSkipVotingRules = true
        let result13 = s.vote(block: ref(1, 1), justify: genesisQC, tc: nil, highQC: genesisQC)
        #expect(result13 != nil)
        let result14 = s.vote(block: ref(1, 1, 3), justify: genesisQC, tc: nil, highQC: genesisQC)
        #expect(result14 != nil)
    }

    @Test func safetyDataRoundTripsCanonically() throws {
        var s = rules()
        _ = s.vote(block: ref(1, 1), justify: genesisQC, tc: nil, highQC: genesisQC)
        let decoded = try SafetyData(canonicalBytes: s.data.canonicalBytes)
        #expect(decoded == s.data)
        // A restarted SafetyRules with the persisted data keeps refusing the conflicting vote.
        var restarted = SafetyRules(member: member(1), chainID: chainID, signer: signers[1], data: decoded)
        let result15 = restarted.vote(block: ref(1, 1, 5), justify: genesisQC, tc: nil, highQC: genesisQC)
        #expect(result15 == nil)
    }
}

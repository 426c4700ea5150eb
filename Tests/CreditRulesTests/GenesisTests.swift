import ChainCore
import Foundation
import Testing

@testable import CreditRules

@Suite struct GenesisTests {
    @Test func sampleCatalogDecodesAndValidates() throws {
        #expect(Fixture.catalog.count > 50)
        for t in Fixture.catalog { try t.validate() }
        let abn = try #require(Fixture.catalog.first { $0.code == "AMR-ABN-001" })
        #expect(abn.negative && abn.retentionYears == 5 && abn.eventEndField == "removal_date")
        let reg = try #require(Fixture.catalog.first { $0.code == "AMR-REG-001" })
        #expect(reg.fields.first { $0.name == "registered_capital" }?.scale == 2)
    }

    @Test func genesisRoundTripsCanonicallyAndAsJSON() throws {
        let g = Fixture.genesis()
        let decoded = try CreditGenesis(canonicalBytes: g.canonicalBytes)
        #expect(decoded.canonicalBytes == g.canonicalBytes)
        let json = try CreditGenesis.decodeJSON(try g.encodeJSON())
        #expect(json.canonicalBytes == g.canonicalBytes)
    }

    @Test func genesisFromTheSameSectionGivesTheSameRoot() throws {
        let a = try CreditRulesApplication(genesis: Fixture.genesis(), hasher: TestHasher(), verifier: TestVerifier())
        let b = try CreditRulesApplication(genesis: Fixture.genesis(), hasher: TestHasher(), verifier: TestVerifier())
        #expect(a.stateRoot == b.stateRoot && a.stateRoot != .zero)
        #expect(a.points(Fixture.bankA) == 10_000)
    }

    /// Every catalog source must map to a publishing member.
    @Test func unmappedSourceIsRefused() {
        var g = Fixture.genesis()
        g.sourcePublishers.removeAll { $0.source == "GD-TAX" }
        #expect(throws: CreditRulesError.self) { try g.validate() }
    }

    /// Art. 24: data is processed onshore; an offshore member cannot join.
    @Test func offshoreMemberIsRefused() {
        var g = Fixture.genesis()
        g.members[1].onshore = false
        #expect { try g.validate() } throws: { ($0 as? CreditRulesError)?.code == "member.offshore" }
    }

    @Test func parametersDecodeFromSnakeCaseJSON() throws {
        let json = Array(#"{"governance_threshold": 3, "sweep_max": 10}"#.utf8)
        let decoder = JSONDecoderFactory.snake()
        let p = try decoder.decode(CreditParameters.self, from: Data(json))
        #expect(p.governanceThreshold == 3 && p.sweepMax == 10)
    }
}

enum JSONDecoderFactory {
    static func snake() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
}

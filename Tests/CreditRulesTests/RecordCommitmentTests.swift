import ChainCore
import Testing

@testable import CreditRules

@Suite struct RecordCommitmentTests {
    let abn = Fixture.catalog.first { $0.code == "AMR-ABN-001" }!

    var values: [String: FieldValue] {
        [
            "uscc": .uscc("91440101MA5CYNP25X"), "listing_reason": .enumValue("annual_report_not_filed"),
            "listing_date": .date(Int64(dayOf(2024, 3, 1))), "listing_authority": .string("Guangzhou AMR"),
            "removal_reason": .string(""),
        ]
    }

    @Test func canonicalRecordFollowsCatalogOrder() throws {
        let bytes = try RecordCommitment.canonicalRecord(type: abn, values: values)
        var e = CanonicalEncoder()
        e.string("AMR-ABN-001", max: 64)
        e.bool(true)
        e.raw(Array("91440101MA5CYNP25X".utf8))
        e.bool(true)
        e.string("annual_report_not_filed", max: 64)
        e.bool(true)
        e.i64(Int64(dayOf(2024, 3, 1)))
        e.bool(true)
        e.string("Guangzhou AMR", max: 4096)
        e.bool(false)  // removal_date absent (optional)
        e.bool(true)
        e.string("", max: 4096)
        #expect(bytes == e.bytes)
        let dates = RecordCommitment.eventDates(type: abn, values: values)
        #expect(dates.start == dayOf(2024, 3, 1) && dates.end == nil)
    }

    @Test func saltChangesTheCommitment() throws {
        let a = try RecordCommitment.commitment(
            type: abn, values: values, salt: Array(repeating: 1, count: 32), hasher: TestHasher())
        let b = try RecordCommitment.commitment(
            type: abn, values: values, salt: Array(repeating: 2, count: 32), hasher: TestHasher())
        #expect(a != b)
    }

    @Test func stringsAreNFCNormalised() throws {
        var composed = values
        composed["listing_authority"] = .string("\u{00E9}")
        var decomposed = values
        decomposed["listing_authority"] = .string("e\u{0301}")
        #expect(
            try RecordCommitment.canonicalRecord(type: abn, values: composed)
                == RecordCommitment.canonicalRecord(type: abn, values: decomposed))
    }

    @Test func badValuesAreRefused() {
        var v = values
        v["listing_reason"] = .enumValue("made_up")
        #expect(throws: CreditRulesError.self) { try RecordCommitment.canonicalRecord(type: abn, values: v) }
        v = values
        v.removeValue(forKey: "listing_date")
        #expect(throws: CreditRulesError.self) { try RecordCommitment.canonicalRecord(type: abn, values: v) }
        v = values
        v["listing_date"] = .string("2024-03-01")
        #expect(throws: CreditRulesError.self) { try RecordCommitment.canonicalRecord(type: abn, values: v) }
        v = values
        v["extra"] = .integer(1)
        #expect(throws: CreditRulesError.self) { try RecordCommitment.canonicalRecord(type: abn, values: v) }
    }
}

import Testing

@testable import CreditRules

@Suite struct CivilDateTests {
    @Test func epochAndKnownDates() {
        #expect(CivilDate(year: 1970, month: 1, day: 1).dayNumber == 0)
        #expect(CivilDate(year: 2000, month: 3, day: 1).dayNumber == 11_017)
        #expect(CivilDate(dayNumber: 19_723) == CivilDate(year: 2024, month: 1, day: 1))
        #expect(CivilDate(dayNumber: -1) == CivilDate(year: 1969, month: 12, day: 31))
    }

    @Test func roundTripsOverFourCenturies() {
        var d = CivilDate(year: 1900, month: 1, day: 1).dayNumber
        let end = CivilDate(year: 2300, month: 12, day: 31).dayNumber
        while d <= end {
            #expect(CivilDate(dayNumber: d).dayNumber == d)
            d += 37
        }
    }

    /// architecture.md: calendar dates are UTC+8; 16:00Z is already the next day in Guangzhou.
    @Test func timestampsUseUTCPlus8() {
        let t: Int64 = 1_767_196_800_000  // 2025-12-31T16:00:00Z = 2026-01-01T00:00+08:00
        #expect(CivilDate(timestampMillis: t) == CivilDate(year: 2026, month: 1, day: 1))
        #expect(CivilDate(timestampMillis: t - 1) == CivilDate(year: 2025, month: 12, day: 31))
        #expect(CivilDate(year: 2026, month: 1, day: 1).startMillis == t)
    }

    /// Calendar year addition: 29 February + 1 year is 28 February.
    @Test func leapDayPlusOneYearIsTwentyEighthFebruary() {
        #expect(CivilDate(year: 2024, month: 2, day: 29).adding(years: 1) == CivilDate(year: 2025, month: 2, day: 28))
        #expect(CivilDate(year: 2024, month: 2, day: 29).adding(years: 4) == CivilDate(year: 2028, month: 2, day: 29))
        #expect(CivilDate(year: 2021, month: 3, day: 15).adding(years: 5) == CivilDate(year: 2026, month: 3, day: 15))
        #expect(!CivilDate.isLeap(1900) && CivilDate.isLeap(2000))
    }

    @Test func settlementPeriodIsYearMonth() {
        #expect(CivilDate(year: 2026, month: 7, day: 9).period == 202_607)
    }
}

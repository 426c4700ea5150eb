/// Calendar arithmetic on civil dates in UTC+8 (China Standard Time, no daylight saving),
/// implemented by hand so that every replica computes the same dates without a time-zone
/// database. Dates are counted as days since 1970-01-01.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    /// Offset of UTC+8 from UTC.
    public static let utcOffsetMillis: Int64 = 8 * 3_600_000
    public static let millisPerDay: Int64 = 86_400_000

    public init(year: Int, month: Int, day: Int) {
        precondition((1...12).contains(month) && (1...CivilDate.daysIn(year: year, month: month)).contains(day))
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date with the given day number (days since 1970-01-01), by Howard Hinnant's
    /// civil-from-days algorithm.
    public init(dayNumber: Int64) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.year = Int(y)
        self.month = Int(m)
        self.day = Int(d)
    }

    /// Days since 1970-01-01 (days-from-civil).
    public var dayNumber: Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let m = Int64(month)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The UTC+8 calendar date of a block timestamp.
    public init(timestampMillis: Int64) {
        self.init(dayNumber: CivilDate.dayNumber(timestampMillis: timestampMillis))
    }

    /// The UTC+8 day number of a timestamp (floor division, correct before 1970 too).
    public static func dayNumber(timestampMillis: Int64) -> Int64 {
        let local = timestampMillis + utcOffsetMillis
        return local >= 0 ? local / millisPerDay : -((-local + millisPerDay - 1) / millisPerDay)
    }

    /// The instant 00:00 UTC+8 of this date, in milliseconds since the epoch.
    public var startMillis: Int64 { dayNumber * CivilDate.millisPerDay - CivilDate.utcOffsetMillis }

    /// Calendar year addition: the same month and day `years` later; 29 February becomes
    /// 28 February in a common year.
    public func adding(years: Int) -> CivilDate {
        let y = year + years
        return CivilDate(year: y, month: month, day: min(day, CivilDate.daysIn(year: y, month: month)))
    }

    /// yyyymm, the settlement period of this date.
    public var period: UInt32 { UInt32(year * 100 + month) }

    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func < (a: CivilDate, b: CivilDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    public var description: String {
        let m = month < 10 ? "0\(month)" : "\(month)"
        let d = day < 10 ? "0\(day)" : "\(day)"
        return "\(year)-\(m)-\(d)"
    }
}

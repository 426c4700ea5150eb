import ChainCore
import Foundation

/// One field value of a credit record, as the catalog types it.
public enum FieldValue: Hashable, Sendable {
    case string(String)
    case integer(Int64)
    /// An integer count of 10^-scale units of the field (scale from the catalog).
    case decimal(Int64)
    /// Days since 1970-01-01.
    case date(Int64)
    case uscc(String)
    case enumValue(String)
}

/// The canonical record and its commitment (architecture.md, "Record commitment"): computed off
/// chain by the source when it publishes and by the recipient when it checks a delivery; the
/// chain only stores the commitment.
public enum RecordCommitment {
    public static let stringMax = 4096

    /// The canonical bytes of a record of `type`: the type code, then every field in catalog
    /// order as present/absent + value. Strings are NFC-normalised. Throws when a value does
    /// not fit its field (wrong kind, unknown enum value, missing mandatory field, bad USCC).
    public static func canonicalRecord(type: DataType, values: [String: FieldValue]) throws -> [UInt8] {
        for name in values.keys where !type.fields.contains(where: { $0.name == name }) {
            throw CreditRulesError("record.unknown_field", name)
        }
        var e = CanonicalEncoder(reservingCapacity: 256)
        e.string(type.code, max: DataType.codeMax)
        for field in type.fields {
            guard let value = values[field.name] else {
                guard field.isOptional else { throw CreditRulesError("record.missing_field", field.name) }
                e.bool(false)
                continue
            }
            e.bool(true)
            switch (field.type, value) {
            case (.string, .string(let s)):
                let nfc = s.precomposedStringWithCanonicalMapping
                guard nfc.utf8.count <= stringMax else { throw CreditRulesError("record.bad_value", field.name) }
                e.string(nfc, max: stringMax)
            case (.integer, .integer(let v)), (.decimal, .decimal(let v)), (.date, .date(let v)):
                e.i64(v)
            case (.uscc, .uscc(let s)):
                guard s.utf8.count == 18, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x5A }) else {
                    throw CreditRulesError("record.bad_value", "\(field.name): a USCC is 18 characters")
                }
                e.raw(Array(s.utf8))  // 18 ASCII bytes, no length prefix (ChainCore.USCC)
            case (.enum, .enumValue(let s)):
                guard (field.values ?? []).contains(s) else {
                    throw CreditRulesError("record.bad_value", "\(field.name): not an allowed value")
                }
                e.string(s, max: FieldSpec.nameMax)
            default:
                throw CreditRulesError("record.bad_value", "\(field.name) is a \(field.type.name)")
            }
        }
        return e.bytes
    }

    /// H("creditchain/record/v1", salt ‖ canonical record); the salt is 32 random bytes chosen by
    /// the source and delivered with the record.
    public static func commitment(
        type: DataType, values: [String: FieldValue], salt: [UInt8], hasher: any ChainHasher
    ) throws -> Hash {
        guard salt.count == 32 else { throw CreditRulesError("record.bad_salt", "the salt is 32 bytes") }
        return hasher.hash(Domain.record, salt + (try canonicalRecord(type: type, values: values)))
    }

    /// The event dates a commitment carries for retention: the values of the type's
    /// `event_start_field` and `event_end_field`, when present.
    public static func eventDates(type: DataType, values: [String: FieldValue]) -> (start: Int32?, end: Int32?) {
        func day(_ name: String?) -> Int32? {
            guard let name, case .date(let d)? = values[name] else { return nil }
            return Int32(clamping: d)
        }
        return (day(type.eventStartField), day(type.eventEndField))
    }
}

import ChainCore

/// How sensitive a data type is; only `public` types may be ordered under a consent whose
/// scope does not name them (Art. 13, 18 apply to the others).
public enum Sensitivity: UInt8, Sendable, Codable, CaseIterable {
    case `public` = 1
    case restricted = 2
    case confidential = 3

    public var name: String {
        switch self {
        case .public: return "public"
        case .restricted: return "restricted"
        case .confidential: return "confidential"
        }
    }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let v = Sensitivity.allCases.first(where: { $0.name == s }) else {
            throw CreditRulesError("catalog.bad_sensitivity", s)
        }
        self = v
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}

/// The type of one field of a record (docs/encoding.md, "Record commitment").
public enum FieldKind: UInt8, Sendable, Codable, CaseIterable {
    case uscc = 1
    case string = 2
    case integer = 3
    case decimal = 4
    case date = 5
    case `enum` = 6

    public var name: String {
        switch self {
        case .uscc: return "uscc"
        case .string: return "string"
        case .integer: return "integer"
        case .decimal: return "decimal"
        case .date: return "date"
        case .enum: return "enum"
        }
    }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let v = FieldKind.allCases.first(where: { $0.name == s }) else {
            throw CreditRulesError("catalog.bad_field_type", s)
        }
        self = v
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}

/// One field of a data type's schema, in catalog order.
public struct FieldSpec: Hashable, Sendable, Codable, CanonicalCodable {
    public static let nameMax = 64
    public static let valuesMax = 64
    public var name: String
    public var type: FieldKind
    public var optional: Bool?
    /// Decimal fields: the value is an integer count of 10^-scale units.
    public var scale: Int?
    public var unit: String?
    /// Enum fields: the allowed string values.
    public var values: [String]?

    public init(
        name: String, type: FieldKind, optional: Bool? = nil, scale: Int? = nil, unit: String? = nil,
        values: [String]? = nil
    ) {
        self.name = name
        self.type = type
        self.optional = optional
        self.scale = scale
        self.unit = unit
        self.values = values
    }

    public var isOptional: Bool { optional ?? false }

    public func encode(to e: inout CanonicalEncoder) {
        e.string(name, max: Self.nameMax)
        e.u8(type.rawValue)
        e.bool(isOptional)
        e.optional(scale) { e, s in e.u8(UInt8(clamping: s)) }
        e.optional(unit) { e, u in e.string(u, max: Self.nameMax) }
        e.array(values ?? [], max: Self.valuesMax) { e, v in e.string(v, max: Self.nameMax) }
    }

    public init(from d: inout CanonicalDecoder) throws {
        name = try d.string("field.name", max: Self.nameMax)
        type = try d.tag("field.type")
        let opt = try d.bool("field.optional")
        optional = opt ? true : nil
        scale = try d.optional("field.scale") { Int(try $0.u8("field.scale")) }
        unit = try d.optional("field.unit") { try $0.string("field.unit", max: Self.nameMax) }
        let vs = try d.array("field.values", max: Self.valuesMax, minElementSize: 4) {
            try $0.string("field.value", max: Self.nameMax)
        }
        values = vs.isEmpty ? nil : vs
    }
}

/// A data type of the catalog: who publishes it, how sensitive it is, whether it is negative
/// (adverse) information and how long that is kept, its price in points and its field schema.
/// Field names follow catalog.json (snake_case in JSON).
public struct DataType: Hashable, Sendable, Codable, CanonicalCodable {
    public static let codeMax = 64
    public static let textMax = 256
    public static let fieldsMax = 64
    /// The five categories of the network (mission.md).
    public static let categories = ["basic", "business", "credit_enhancement", "warning", "asset"]

    public var code: String
    /// Catalog source code (e.g. `GD-AMR`); genesis or governance maps it to its publishing member.
    public var source: String
    public var category: String
    public var nameEn: String
    public var negative: Bool
    public var retentionYears: Int?
    public var sensitivity: Sensitivity
    public var consentRequired: Bool
    public var fields: [FieldSpec]
    public var pricePoints: Int64
    public var eventStartField: String?
    public var eventEndField: String?

    enum CodingKeys: String, CodingKey {
        case code, source, category, nameEn, negative, retentionYears, sensitivity, consentRequired, fields,
            pricePoints, eventStartField, eventEndField
    }

    public init(
        code: String, source: String, category: String, nameEn: String, negative: Bool, retentionYears: Int?,
        sensitivity: Sensitivity, consentRequired: Bool, fields: [FieldSpec], pricePoints: Int64,
        eventStartField: String?, eventEndField: String?
    ) {
        self.code = code
        self.source = source
        self.category = category
        self.nameEn = nameEn
        self.negative = negative
        self.retentionYears = retentionYears
        self.sensitivity = sensitivity
        self.consentRequired = consentRequired
        self.fields = fields
        self.pricePoints = pricePoints
        self.eventStartField = eventStartField
        self.eventEndField = eventEndField
    }

    /// Ordering it needs no consent scope: public and not consent-required.
    public var isOpenUnderAnyConsent: Bool { sensitivity == .public && !consentRequired }

    /// Checks the schema rules a type must satisfy before it enters the catalog.
    public func validate() throws {
        guard !code.isEmpty, code.utf8.count <= Self.codeMax, !source.isEmpty, source.utf8.count <= Self.codeMax
        else { throw CreditRulesError("catalog.bad_type", "code and source are 1 to 64 bytes") }
        guard Self.categories.contains(category) else { throw CreditRulesError("catalog.bad_category", category) }
        guard nameEn.utf8.count <= Self.textMax, fields.count <= Self.fieldsMax, !fields.isEmpty else {
            throw CreditRulesError("catalog.bad_type", "name or field count out of bounds")
        }
        guard pricePoints >= 0, pricePoints <= 1_000_000 else {
            throw CreditRulesError("catalog.bad_price", "price must be 0 to 1000000")
        }
        var names = Set<String>()
        for f in fields {
            guard !f.name.isEmpty, f.name.utf8.count <= FieldSpec.nameMax, names.insert(f.name).inserted else {
                throw CreditRulesError("catalog.bad_field", "field names are unique, 1 to 64 bytes")
            }
            guard (f.values ?? []).count <= FieldSpec.valuesMax, (f.scale ?? 0) >= 0, (f.scale ?? 0) <= 18,
                f.unit.map({ $0.utf8.count <= FieldSpec.nameMax }) ?? true,
                (f.values ?? []).allSatisfy({ $0.utf8.count <= FieldSpec.nameMax })
            else { throw CreditRulesError("catalog.bad_field", f.name) }
        }
        if negative {
            guard let years = retentionYears, years > 0, years <= 100, let start = eventStartField,
                let startField = fields.first(where: { $0.name == start }), startField.type == .date
            else {
                throw CreditRulesError(
                    "catalog.bad_retention", "a negative type needs retention_years and a date event_start_field")
            }
            if let end = eventEndField {
                guard let endField = fields.first(where: { $0.name == end }), endField.type == .date else {
                    throw CreditRulesError("catalog.bad_retention", "event_end_field must name a date field")
                }
            }
        }
    }

    public func encode(to e: inout CanonicalEncoder) {
        e.version(1)
        e.string(code, max: Self.codeMax)
        e.string(source, max: Self.codeMax)
        e.string(category, max: Self.codeMax)
        e.string(nameEn, max: Self.textMax)
        e.bool(negative)
        e.optional(retentionYears) { e, y in e.u16(UInt16(clamping: y)) }
        e.u8(sensitivity.rawValue)
        e.bool(consentRequired)
        e.array(fields, max: Self.fieldsMax)
        e.i64(pricePoints)
        e.optional(eventStartField) { e, s in e.string(s, max: FieldSpec.nameMax) }
        e.optional(eventEndField) { e, s in e.string(s, max: FieldSpec.nameMax) }
    }

    public init(from d: inout CanonicalDecoder) throws {
        try d.version("data_type.version", supported: 1...1)
        code = try d.string("data_type.code", max: Self.codeMax)
        source = try d.string("data_type.source", max: Self.codeMax)
        category = try d.string("data_type.category", max: Self.codeMax)
        nameEn = try d.string("data_type.name_en", max: Self.textMax)
        negative = try d.bool("data_type.negative")
        retentionYears = try d.optional("data_type.retention_years") { Int(try $0.u16("data_type.retention_years")) }
        sensitivity = try d.tag("data_type.sensitivity")
        consentRequired = try d.bool("data_type.consent_required")
        fields = try d.array("data_type.fields", max: Self.fieldsMax, minElementSize: 11)
        pricePoints = try d.i64("data_type.price_points")
        eventStartField = try d.optional("data_type.event_start_field") {
            try $0.string("data_type.event_start_field", max: FieldSpec.nameMax)
        }
        eventEndField = try d.optional("data_type.event_end_field") {
            try $0.string("data_type.event_end_field", max: FieldSpec.nameMax)
        }
    }
}

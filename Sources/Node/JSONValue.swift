import ChainCore

/// A JSON value restricted to what a genesis application section needs (no floating point, so every
/// value has exactly one canonical encoding, docs/encoding.md "Genesis").
public indirect enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case string(String)
    case array([JSONValue])
    /// Keys are unique; the canonical encoding sorts them by their UTF-8 bytes.
    case object([String: JSONValue])

    static let stringMax = 1 << 16
    static let countMax = 1 << 16
    static let depthMax = 16

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .integer(i)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else if let o = try? c.decode([String: JSONValue].self) {
            self = .object(o)
        } else {
            throw NodeError(
                code: "genesis.bad_application_value",
                reason: "application parameters take null, booleans, integers, strings, arrays and objects")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .integer(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Tag byte, then the value: null 0; bool 1 ‖ bool; integer 2 ‖ i64; string 3 ‖ string;
    /// array 4 ‖ u32 count ‖ values; object 5 ‖ u32 count ‖ (string key ‖ value) sorted by key bytes.
    public func encode(to e: inout CanonicalEncoder) {
        switch self {
        case .null: e.u8(0)
        case .bool(let b):
            e.u8(1)
            e.bool(b)
        case .integer(let i):
            e.u8(2)
            e.i64(i)
        case .string(let s):
            e.u8(3)
            e.string(s, max: Self.stringMax)
        case .array(let a):
            e.u8(4)
            e.array(a, max: Self.countMax) { enc, v in v.encode(to: &enc) }
        case .object(let o):
            e.u8(5)
            let sorted = o.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            e.array(sorted, max: Self.countMax) { enc, kv in
                enc.string(kv.key, max: Self.stringMax)
                kv.value.encode(to: &enc)
            }
        }
    }

    /// Nesting depth (bounded when loading a genesis file).
    var depth: Int {
        switch self {
        case .array(let a): return 1 + (a.map(\.depth).max() ?? 0)
        case .object(let o): return 1 + (o.values.map(\.depth).max() ?? 0)
        default: return 0
        }
    }
}

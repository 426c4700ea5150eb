/// A Unified Social Credit Code (统一社会信用代码, GB 32100-2015): the 18-character identifier of
/// every Chinese enterprise and organisation, and the subject key of every credit record.
///
/// Layout (1-based positions): 1 registration authority, 2 organisation category, 3–8
/// administrative division (GB/T 2260), 9–17 the organisation code (GB 11714), 18 the check
/// character. The check character is a hard rule — a code that fails it is a typo and is rejected.
/// The embedded organisation code has its own GB 11714 check character, but legacy codes exist
/// whose organisation code fails that check while the code itself is registered; those are
/// accepted with a warning (`USCCVerdict.validWithWarning`).
public struct USCC: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    /// Number of characters (and of canonical bytes).
    public static let length = 18

    /// The 31 characters of GB 32100: digits and upper-case letters without I, O, S, V and Z.
    public static let alphabet: [UInt8] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY".utf8)

    /// Weight of position i (0-based) in the check-character sum: 3^i mod 31.
    public static let weights: [Int] = {
        var out = [Int]()
        var w = 1
        for _ in 0..<17 {
            out.append(w)
            w = w * 3 % 31
        }
        return out
    }()

    /// The 18 ASCII bytes of the code.
    public let bytes: [UInt8]

    /// Parses and validates; throws `ChainCoreError` with code `uscc.<reason>` when the code is
    /// invalid. Codes whose embedded organisation code fails GB 11714 are accepted (use
    /// `USCC.check(_:)` to see the warning).
    public init(_ string: String) throws {
        switch USCC.check(string) {
        case .valid(let code), .validWithWarning(let code, _):
            self = code
        case .invalid(let rejection):
            throw ChainCoreError(code: rejection.code, field: "uscc", reason: rejection.description)
        }
    }

    private init(validatedBytes: [UInt8]) {
        precondition(validatedBytes.count == USCC.length, "a USCC has 18 bytes")
        bytes = validatedBytes
    }

    /// The code as a string.
    public var value: String { String(decoding: bytes, as: UTF8.self) }
    public var description: String { value }

    /// Position 1: the registration authority (e.g. `9` market regulation, `5` civil affairs).
    public var registrationAuthority: Character { Character(UnicodeScalar(bytes[0])) }
    /// Position 2: the organisation category within the authority (e.g. `1` enterprise).
    public var category: Character { Character(UnicodeScalar(bytes[1])) }
    /// Positions 3–8: the administrative division code of the registering authority.
    public var divisionCode: String { String(decoding: bytes[2..<8], as: UTF8.self) }
    /// Positions 9–17: the organisation code (GB 11714), check character included.
    public var organisationCode: String { String(decoding: bytes[8..<17], as: UTF8.self) }

    public static func < (a: USCC, b: USCC) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }

    // MARK: Validation

    /// Validates `string` and returns the verdict; never throws.
    public static func check(_ string: String) -> USCCVerdict {
        let utf8 = Array(string.utf8)
        if utf8.isEmpty { return .invalid(.empty) }
        // Non-ASCII first: a multi-byte character would otherwise surface as a length error.
        var position = 1
        for scalar in string.unicodeScalars {
            guard scalar.isASCII else {
                return .invalid(.nonASCII(position: position))
            }
            position += 1
        }
        guard utf8.count == length else { return .invalid(.wrongLength(utf8.count)) }
        var values = [Int]()
        values.reserveCapacity(length)
        for (i, c) in utf8.enumerated() {
            guard let v = alphabetValue(c) else {
                return .invalid(.characterNotInAlphabet(position: i + 1, character: c))
            }
            values.append(v)
        }
        let expected = alphabet[checkValue(values[0..<17])]
        guard utf8[17] == expected else {
            return .invalid(.checkCharacterMismatch(expected: expected, found: utf8[17]))
        }
        let code = USCC(validatedBytes: utf8)
        if let warning = organisationCodeWarning(utf8[8..<17]) {
            return .validWithWarning(code, warning)
        }
        return .valid(code)
    }

    /// The GB 32100 check value of the first 17 character values: (31 − Σ vᵢ·wᵢ mod 31) mod 31.
    static func checkValue(_ values: ArraySlice<Int>) -> Int {
        precondition(values.count == 17, "the check value covers 17 characters")
        var sum = 0
        for (w, v) in zip(weights, values) { sum += w * v }
        return (31 - sum % 31) % 31
    }

    static func alphabetValue(_ c: UInt8) -> Int? {
        alphabet.firstIndex(of: c)
    }

    /// GB 11714 weights of the organisation code's eight body characters.
    static let organisationWeights = [3, 7, 9, 10, 5, 8, 4, 2]

    /// Checks the embedded organisation code (8 body characters, check character 11 − Σ mod 11,
    /// written `X` for 10 and `0` for 11); nil when it passes.
    static func organisationCodeWarning(_ code: ArraySlice<UInt8>) -> USCCWarning? {
        precondition(code.count == 9, "an organisation code has 9 characters")
        var sum = 0
        for (w, c) in zip(organisationWeights, code.prefix(8)) {
            // GB 11714 values: digits 0–9, letters A=10 … Z=35. The USCC alphabet already
            // excludes I, O, S, V and Z, so every body character here has a value.
            let v: Int
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = Int(c - UInt8(ascii: "0"))
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = Int(c - UInt8(ascii: "A")) + 10
            default: preconditionFailure("USCC alphabet checked before")
            }
            sum += w * v
        }
        let check = 11 - sum % 11
        let expected: UInt8
        switch check {
        case 10: expected = UInt8(ascii: "X")
        case 11: expected = UInt8(ascii: "0")
        default: expected = UInt8(ascii: "0") + UInt8(check)
        }
        let found = code[code.endIndex - 1]
        if found == expected { return nil }
        let isCheckCharacter = (found >= UInt8(ascii: "0") && found <= UInt8(ascii: "9")) || found == UInt8(ascii: "X")
        guard isCheckCharacter else {
            return .organisationCheckCharacterNotAllowed(found: found)
        }
        return .organisationCheckMismatch(expected: expected, found: found)
    }

    // MARK: CanonicalCodable

    /// The 18 ASCII bytes, no length prefix (architecture.md: "USCC as its 18 ASCII bytes").
    public func encode(to e: inout CanonicalEncoder) { e.raw(bytes) }

    /// Reads 18 bytes and accepts them only when they form a valid code (warnings allowed).
    public init(from d: inout CanonicalDecoder) throws {
        let raw = try d.raw(USCC.length, "uscc")
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw ChainCoreError(code: "codec.invalid_value", field: "uscc", reason: "not ASCII")
        }
        do { try self.init(s) } catch let error as ChainCoreError {
            throw ChainCoreError(code: "codec.invalid_value", field: "uscc", reason: error.reason)
        }
    }
}

/// The outcome of checking a string as a USCC: valid, valid with a warning about the embedded
/// organisation code (legacy codes), or invalid with a reason.
public enum USCCVerdict: Hashable, Sendable, CustomStringConvertible {
    case valid(USCC)
    case validWithWarning(USCC, USCCWarning)
    case invalid(USCCRejection)

    /// The code when it is accepted (with or without a warning).
    public var code: USCC? {
        switch self {
        case .valid(let c), .validWithWarning(let c, _): return c
        case .invalid: return nil
        }
    }

    public var isValid: Bool { code != nil }

    /// `valid`, `valid (warning: <reason>)` or `invalid: <reason>` — the CLI's wording.
    public var description: String {
        switch self {
        case .valid: return "valid"
        case .validWithWarning(_, let w): return "valid (warning: \(w))"
        case .invalid(let r): return "invalid: \(r)"
        }
    }
}

/// Why a string is not a USCC. `code` is stable (API and scripts match on it); `description` is
/// for people.
public enum USCCRejection: Hashable, Sendable, CustomStringConvertible {
    /// The empty string.
    case empty
    /// A character outside ASCII at a 1-based character position.
    case nonASCII(position: Int)
    /// ASCII, but not 18 characters.
    case wrongLength(Int)
    /// An ASCII byte outside the GB 32100 alphabet (lower case, I, O, S, V, Z, punctuation…).
    case characterNotInAlphabet(position: Int, character: UInt8)
    /// The 18th character is not the one the first 17 determine.
    case checkCharacterMismatch(expected: UInt8, found: UInt8)

    public var code: String {
        switch self {
        case .empty: return "uscc.empty"
        case .nonASCII: return "uscc.non_ascii"
        case .wrongLength: return "uscc.wrong_length"
        case .characterNotInAlphabet: return "uscc.character_not_in_alphabet"
        case .checkCharacterMismatch: return "uscc.check_character_mismatch"
        }
    }

    public var description: String {
        switch self {
        case .empty:
            return "empty"
        case .nonASCII(let p):
            return "non-ASCII character at position \(p)"
        case .wrongLength(let n):
            return "\(n) characters, a code has 18"
        case .characterNotInAlphabet(let p, let c):
            return "\(USCCRejection.show(c)) at position \(p) is not in the alphabet"
        case .checkCharacterMismatch(let expected, let found):
            return
                "check character \(USCCRejection.show(found)) does not match, expected \(USCCRejection.show(expected))"
        }
    }

    static func show(_ c: UInt8) -> String {
        if c >= 0x21 && c < 0x7f { return "'" + String(UnicodeScalar(c)) + "'" }
        return "byte 0x" + Hex.encode([c])
    }
}

/// Why an accepted USCC deserves a second look: its embedded organisation code fails GB 11714.
public enum USCCWarning: Hashable, Sendable, CustomStringConvertible {
    /// The organisation code's check character (position 17) is not the computed one.
    case organisationCheckMismatch(expected: UInt8, found: UInt8)
    /// Position 17 holds a letter other than `X`, which GB 11714 never produces.
    case organisationCheckCharacterNotAllowed(found: UInt8)

    public var code: String {
        switch self {
        case .organisationCheckMismatch: return "uscc.organisation_code_check_mismatch"
        case .organisationCheckCharacterNotAllowed: return "uscc.organisation_code_bad_check_character"
        }
    }

    public var description: String {
        switch self {
        case .organisationCheckMismatch(let expected, let found):
            return
                "organisation code check character \(USCCRejection.show(found)) does not match GB 11714, expected \(USCCRejection.show(expected))"
        case .organisationCheckCharacterNotAllowed(let found):
            return "organisation code check character \(USCCRejection.show(found)) is not a digit or 'X' (GB 11714)"
        }
    }
}

import Foundation
import Testing

@testable import ChainCore

/// The shared vector file (`Vectors/uscc.json`, a copy of ../shared/vectors/uscc.json).
private struct USCCVectors: Decodable {
    struct Valid: Decodable {
        let code: String
        let region: String
    }
    struct Invalid: Decodable {
        let code: String
        let why: String
    }
    let alphabet: String
    let weights: [Int]
    let valid: [Valid]
    let invalid: [Invalid]

    static func load() throws -> USCCVectors {
        let url = try #require(Bundle.module.url(forResource: "uscc", withExtension: "json", subdirectory: "Vectors"))
        return try JSONDecoder().decode(USCCVectors.self, from: Data(contentsOf: url))
    }
}

/// The rejection code each vector's `why` stands for. A new kind of invalid vector fails the test
/// until it is mapped here, so every vector is checked for its reason, not just for rejection.
private func expectedCode(forWhy why: String) -> String? {
    switch why {
    case "check character does not match": return "uscc.check_character_mismatch"
    case "17 characters", "19 characters": return "uscc.wrong_length"
    case "empty": return "uscc.empty"
    case "non-ASCII character": return "uscc.non_ascii"
    case "space", "lowercase letters are not in the alphabet": return "uscc.character_not_in_alphabet"
    default:
        if why.hasSuffix(" is not in the alphabet") { return "uscc.character_not_in_alphabet" }
        return nil
    }
}

/// Builds a code with a correct GB 32100 check character from 17 characters, computed here from
/// the vector file's alphabet and weights rather than from the implementation.
private func withCheckCharacter(_ body: String, vectors: USCCVectors) -> String {
    let alphabet = Array(vectors.alphabet)
    var sum = 0
    for (c, w) in zip(body, vectors.weights) {
        sum += (alphabet.firstIndex(of: c) ?? 0) * w
    }
    return body + String(alphabet[(31 - sum % 31) % 31])
}

@Suite struct USCCTests {
    @Test func theVectorFileAgreesWithTheImplementationConstants() throws {
        let v = try USCCVectors.load()
        #expect(Array(v.alphabet.utf8) == USCC.alphabet)
        #expect(v.weights == USCC.weights)
    }

    @Test func everyValidVectorIsAcceptedWithoutWarning() throws {
        let v = try USCCVectors.load()
        #expect(v.valid.count >= 30)
        for vector in v.valid {
            let verdict = USCC.check(vector.code)
            #expect(verdict == .valid(try USCC(vector.code)), "\(vector.code): \(verdict)")
            #expect(verdict.description == "valid")
        }
    }

    @Test func everyInvalidVectorIsRejectedWithItsReason() throws {
        let v = try USCCVectors.load()
        #expect(v.invalid.count >= 10)
        for vector in v.invalid {
            let expected = try #require(expectedCode(forWhy: vector.why), "unmapped vector reason: \(vector.why)")
            guard case .invalid(let rejection) = USCC.check(vector.code) else {
                Issue.record("accepted invalid vector \(vector.code) (\(vector.why))")
                continue
            }
            #expect(rejection.code == expected, "\(vector.code): \(rejection)")
            #expect(throws: ChainCoreError(code: expected, field: "uscc", reason: rejection.description)) {
                _ = try USCC(vector.code)
            }
        }
    }

    @Test func reasonsCarryTheDetail() {
        #expect(USCC.check("914401000802190W3R") == .invalid(.checkCharacterMismatch(expected: 0x51, found: 0x52)))
        #expect(
            USCC.check("914401000802190W3R").description
                == "invalid: check character 'R' does not match, expected 'Q'")
        #expect(USCC.check("91440I000802190W3Q") == .invalid(.characterNotInAlphabet(position: 6, character: 0x49)))
        #expect(USCC.check("914\u{a0}01000802190W3Q") == .invalid(.nonASCII(position: 4)))
        #expect(USCC.check("914401000802190W3") == .invalid(.wrongLength(17)))
        #expect(USCC.check("") == .invalid(.empty))
    }

    @Test func everySingleCharacterTypoIsCaught() throws {
        // The point of the check character: any one substituted character is detected.
        let code = "914401000802190W3Q"
        var chars = Array(code.utf8)
        for i in 0..<18 {
            let original = chars[i]
            for c in USCC.alphabet where c != original {
                chars[i] = c
                let s = String(decoding: chars, as: UTF8.self)
                #expect(!USCC.check(s).isValid, "\(s) accepted")
            }
            chars[i] = original
        }
    }

    @Test func aBadOrganisationCodeIsAcceptedWithAWarning() throws {
        let v = try USCCVectors.load()
        // Organisation code 0802190W3 is correct; 0802190W4 is not, but the USCC check character
        // is recomputed so only the softer GB 11714 check fails.
        let legacy = withCheckCharacter("914401000802190W4", vectors: v)
        let verdict = USCC.check(legacy)
        guard case .validWithWarning(let code, let warning) = verdict else {
            Issue.record("expected a warning, got \(verdict)")
            return
        }
        #expect(code.value == legacy)
        #expect(warning == .organisationCheckMismatch(expected: UInt8(ascii: "3"), found: UInt8(ascii: "4")))
        #expect(warning.code == "uscc.organisation_code_check_mismatch")
        #expect(verdict.description.hasPrefix("valid (warning: organisation code check character '4'"))
        #expect(throws: Never.self) { _ = try USCC(legacy) }

        let letter = withCheckCharacter("914401000802190WA", vectors: v)
        #expect(
            USCC.check(letter)
                == .validWithWarning(try USCC(letter), .organisationCheckCharacterNotAllowed(found: 0x41)))
    }

    @Test func organisationCheckValuesTenAndElevenUseXAndZero() throws {
        let v = try USCCVectors.load()
        // Find bodies whose GB 11714 check is X and 0 and confirm they pass without a warning.
        var seen = Set<Character>()
        for n in 0..<2000 {
            let s = String(n)
            let digits = String(repeating: "0", count: 8 - s.count) + s
            var sum = 0
            for (c, w) in zip(digits, [3, 7, 9, 10, 5, 8, 4, 2]) { sum += Int(String(c))! * w }
            let check = 11 - sum % 11
            guard check >= 10 else { continue }
            let checkChar: Character = check == 10 ? "X" : "0"
            seen.insert(checkChar)
            let code = withCheckCharacter("91440100" + digits + String(checkChar), vectors: v)
            #expect(USCC.check(code) == .valid(try USCC(code)), "\(code)")
        }
        #expect(seen == ["X", "0"])
    }

    @Test func canonicalBytesAreTheEighteenASCIIBytes() throws {
        let code = try USCC("92440300698J39093W")
        #expect(code.canonicalBytes == Array("92440300698J39093W".utf8))
        #expect(code.canonicalBytes.count == 18)
        #expect(try USCC(canonicalBytes: code.canonicalBytes) == code)
        #expect(code.divisionCode == "440300")
        #expect(code.organisationCode == "698J39093")
        #expect(code.registrationAuthority == "9")
        #expect(code.category == "2")
        // A typo is rejected by the decoder too, and so are trailing bytes.
        #expect(throws: ChainCoreError.self) { _ = try USCC(canonicalBytes: Array("92440300698J39093X".utf8)) }
        #expect(throws: ChainCoreError.self) { _ = try USCC(canonicalBytes: code.canonicalBytes + [0]) }
        #expect(throws: ChainCoreError.self) { _ = try USCC(canonicalBytes: Array(code.canonicalBytes.prefix(17))) }
    }
}

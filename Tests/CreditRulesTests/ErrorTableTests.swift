import Foundation
import Testing

/// docs/errors.md tables every result code the rules can return (the API reuses them).
@Suite struct ErrorTableTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func everyRejectionCodeIsDocumented() throws {
        let docs = try String(contentsOf: Self.root.appendingPathComponent("docs/errors.md"), encoding: .utf8)
        let dir = Self.root.appendingPathComponent("Sources/CreditRules")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".swift") }
        let pattern = try NSRegularExpression(
            pattern: #"(?:CreditRulesError\(|raiseAlert\(|code: )\s*"([a-z_]+\.[a-z_.]+)""#)
        var codes = Set<String>()
        for f in files {
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let r = Range(m.range(at: 1), in: text) { codes.insert(String(text[r])) }
            }
        }
        #expect(codes.count > 80)
        for code in codes.sorted() where !code.hasPrefix("codec.") {
            #expect(docs.contains("`\(code)`"), "\(code) is not in docs/errors.md")
        }
    }
}

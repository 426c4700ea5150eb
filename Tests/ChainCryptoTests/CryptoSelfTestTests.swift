import Testing

@testable import ChainCrypto

@Suite struct CryptoSelfTestTests {
    @Test func everyCheckPasses() {
        let checks = CryptoSelfTest.run()
        #expect(checks.count >= 14)
        for check in checks {
            #expect(check.passed, "\(check.line)")
            #expect(check.line == "ok \(check.name)")
        }
        #expect(checks.contains { $0.name == "sm3 abc" })
        #expect(checks.contains { $0.name == "sm4 ecb 1000000 iterations" })
    }
}

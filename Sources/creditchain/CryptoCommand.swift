import ArgumentParser
import ChainCore
import ChainCrypto

/// `creditchain crypto …`: checks of the node's cryptography.
struct CryptoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crypto",
        abstract: "Check the standard and GM crypto suites on this machine.",
        subcommands: [SelfTest.self, Bench.self]
    )

    /// Known answers of both suites, one line per check; exits non-zero on any failure.
    struct SelfTest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "selftest",
            abstract: "Run the known-answer tests of both suites (SHA-256, Ed25519, SM3, SM4, SM2) and round trips."
        )

        func run() throws {
            let checks = CryptoSelfTest.run()
            for check in checks { print(check.line) }
            let failed = checks.filter { !$0.passed }.count
            if failed > 0 {
                print("\(failed) of \(checks.count) checks failed")
                throw ExitCode.failure
            }
        }
    }

    /// Rough operation rates, for sizing (BENCHMARKS.md records the figures with their command).
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Measure signing, verification and hashing rates of both suites (single thread)."
        )

        @Option(help: "Operations per measurement.")
        var count = 2000

        func run() throws {
            guard count > 0 else { throw ValidationError("--count must be positive") }
            let message = [UInt8](repeating: 0x5a, count: 256)
            for id in SuiteID.allCases {
                let suite = CryptoSuites.suite(id)
                let key = try suite.generateSigningKey()
                let signature = try key.sign(message)
                report(id, "sign (256 B)") { _ = try key.sign(message) }
                report(id, "verify (256 B)") {
                    guard suite.verifier.verify(signature: signature, message: message, publicKey: key.publicKey) else {
                        throw ValidationError("a valid signature did not verify")
                    }
                }
                let block = [UInt8](repeating: 1, count: 4096)
                report(id, "hash (4 KiB)") { _ = suite.hasher.digest(block) }
                let encryptionKey = try suite.generateEncryptionKey()
                report(id, "seal delivery (4 KiB)") {
                    _ = try suite.sealDelivery(block, to: encryptionKey.publicKey, aad: [])
                }
            }
        }

        private func report(_ id: SuiteID, _ what: String, _ body: () throws -> Void) {
            let clock = ContinuousClock()
            do {
                let elapsed = try clock.measure { for _ in 0..<count { try body() } }
                let seconds =
                    Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                let rate = Double(count) / max(seconds, 1e-9)
                print("\(id) \(what): \(Int(rate)) ops/s (\(count) in \(format3(seconds)) s)")
            } catch {
                print("\(id) \(what): FAIL \(error)")
            }
        }

        private func format3(_ value: Double) -> String {
            let thousandths = Int((value * 1000).rounded())
            let fraction = String(thousandths % 1000)
            return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
        }
    }
}

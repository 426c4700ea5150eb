import ArgumentParser
import ChainCore
import ChainCrypto
import Foundation

/// `creditchain consortium`: creating a consortium (root CA, genesis parameters, pseudonym secrets).
struct ConsortiumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consortium",
        abstract: "Create and inspect a consortium directory (docs/consortium.md).",
        subcommands: [Initialize.self]
    )

    /// `creditchain consortium init --dir DIR --name NAME --suite standard|gm`.
    struct Initialize: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create the root CA, the genesis parameters file and the pseudonym secrets.",
            discussion: """
                Writes DIR/consortium.json (genesis parameters, public), DIR/ca/ca.pem (root \
                certificate, public), DIR/ca/ca-key.pem (root key, 0600) and \
                DIR/secrets/pseudonym.json (pseudonym HMAC key, 0600; goes only to data sources, \
                bureaus, registrars and the supervisor). Refuses to replace an existing consortium.
                """
        )

        @Option(help: "The consortium directory (created when missing).")
        var dir: String

        @Option(help: "The consortium's display name.")
        var name: String

        @Option(help: "The cryptographic suite: standard (Ed25519, SHA-256, X25519) or gm (SM2, SM3, SM4).")
        var suite: String = "standard"

        func run() throws {
            guard let suiteID = SuiteID(name: suite) else {
                throw ValidationError("--suite must be standard or gm, not '\(suite)'")
            }
            let now = Int64(Date().timeIntervalSince1970)
            let directory = try ConsortiumDirectory.initialize(
                path: dir, name: name, suite: suiteID, atSecondsSince1970: now)
            print("consortium \"\(name)\" (\(suiteID) suite) created in \(directory.path)")
            print("  genesis parameters  \(directory.file(ConsortiumLayout.parametersPath))")
            print("  root certificate    \(directory.file(ConsortiumLayout.rootCertificatePath))")
            print("  root key (0600)     \(directory.file(ConsortiumLayout.rootKeyPath))")
            print("  pseudonym secrets   \(directory.file(ConsortiumLayout.pseudonymSecretsPath)) (0600)")
        }
    }
}

import ArgumentParser
import ChainCore
import ChainCrypto
import Foundation

extension ChainCrypto.MemberRole: ExpressibleByArgument {}

/// `creditchain member`: adding consortium members and listing them.
struct MemberCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member",
        abstract: "Add and list consortium members (keys, certificates, member.json).",
        subcommands: [Add.self, List.self]
    )

    /// `creditchain member add --dir DIR --name NAME --role ROLE …`.
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a member: TLS key and certificate, signing and encryption keys, member.json.",
            discussion: """
                Writes DIR/members/<id>/ with member.json (public keys and attributes), tls.pem \
                (certificate issued by the consortium CA with SAN URIs creditchain:role:<role> and \
                creditchain:member:<id>), tls-key.pem, signing-key.pem and encryption-key.pem \
                (0600), ca.pem, and pseudonym.json (0600) for data sources, bureaus, the supervisor \
                and registrars. The member id is derived from the name.
                """
        )

        @Option(help: "The consortium directory.")
        var dir: String

        @Option(help: "The member's display name; the member id is derived from it.")
        var name: String

        @Option(help: "One of: \(ChainCrypto.MemberRole.allCases.map(\.rawValue).joined(separator: ", ")).")
        var role: ChainCrypto.MemberRole

        @Flag(help: "The member runs a validator.")
        var validator = false

        @Flag(help: "The member registers enterprises and their keys.")
        var registrar = false

        @Option(help: "ISO 3166-2 region, e.g. CN-GD.")
        var location: String?

        @Option(help: "Comma-separated source codes the member publishes, e.g. GD-AMR,GD-TAX.")
        var sources: String?

        func run() throws {
            let directory = ConsortiumDirectory(path: dir)
            let sourceList = (sources ?? "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
            let member = try directory.addMember(
                name: name, role: role, validator: validator, registrar: registrar, location: location,
                sources: sourceList, atSecondsSince1970: Int64(Date().timeIntervalSince1970))
            let memberDir = directory.file(ConsortiumLayout.memberPath(try MemberID(member.id)))
            print("member \(member.id) (\(member.role)) added in \(memberDir)")
            print("  signing key     \(member.signingPublicKey)")
            print("  encryption key  \(member.encryptionPublicKey)")
            print("  TLS certificate serial \(member.tlsCertificateSerial)")
            if member.receivesPseudonymSecrets { print("  pseudonym secrets included") }
        }
    }

    /// `creditchain member list --dir DIR`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the members of a consortium directory.")

        @Option(help: "The consortium directory.")
        var dir: String

        func run() throws {
            for m in try ConsortiumDirectory(path: dir).members() {
                var flags: [String] = []
                if m.validator { flags.append("validator") }
                if m.registrar { flags.append("registrar") }
                if let location = m.location { flags.append(location) }
                if !m.sources.isEmpty { flags.append("sources=" + m.sources.joined(separator: ",")) }
                print("\(m.id)\t\(m.role)\t\(m.name)\t\(flags.joined(separator: " "))")
            }
        }
    }
}

import API
import ArgumentParser
import Foundation

/// `creditchain token create|list|revoke`: bearer tokens of a node's client API, stored hashed
/// in the node's data directory.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke API bearer tokens for a node's staff.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; it is printed once, only its SHA-256 is stored.")

        @Option(help: "The node's data directory (holds api-tokens.json).")
        var data: String

        @Option(help: "The staff member the token names (appears in every audit line).")
        var staff: String

        @Option(
            name: .customLong("role-scope"),
            help: "Comma-separated scopes: \(TokenScope.known.map(\.value).joined(separator: ", ")).")
        var roleScope: String

        func run() async throws {
            let store = TokenStore(directory: data)
            let scopes = try TokenScope.parseList(roleScope)
            var generator = SystemRandomNumberGenerator()
            let issued = try store.create(staff: staff, scopes: scopes, createdAt: Date(), using: &generator)
            FileHandle.standardError.write(
                Data(
                    ("token \(issued.record.id) for \(issued.record.staff) (\(issued.record.scopes.joined(separator: ",")))"
                        + " stored hashed in \(store.path); it is shown only now:\n").utf8))
            print(issued.token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (ids, staff, scopes; never secrets).")

        @Option(help: "The node's data directory.")
        var data: String

        func run() async throws {
            for record in try TokenStore(directory: data).list() {
                let state = record.revoked.map { "revoked \($0)" } ?? "active"
                print(
                    "\(record.id)  \(record.staff)  \(record.scopes.joined(separator: ","))  created \(record.created)  \(state)"
                )
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token by id; the running node refuses it within a second.")

        @Option(help: "The node's data directory.")
        var data: String

        @Argument(help: "The token id shown by create and list.")
        var id: String

        func run() async throws {
            let record = try TokenStore(directory: data).revoke(id: id, revokedAt: Date())
            print("revoked \(record.id) (\(record.staff))")
        }
    }
}

import API
import ArgumentParser
import Foundation

/// `creditchain status --api URL`: the node's `/v1/status`, for people.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a node's height, round, peers, validator set and sync state.")

    @Option(help: "The node's API base URL, e.g. http://127.0.0.1:8080.")
    var api: String

    @Flag(help: "Print the node's JSON answer as it is.")
    var json = false

    func run() async throws {
        let reply = try await APIClient(base: api, token: nil).send(.GET, "/v1/status")
        if json {
            try reply.requireSuccess()
            print(String(decoding: reply.body, as: UTF8.self))
            return
        }
        let status = try reply.decode(NodeStatus.self)
        print("member:     \(status.member.id) (\(status.member.role))")
        print("chain:      \(status.chainID) (\(status.suite))")
        print("height:     \(status.height)")
        print("round:      \(status.round)")
        if let hash = status.lastBlockHash { print("last block: \(hash)") }
        let target = status.sync.targetHeight.map { " (target \($0))" } ?? ""
        print("sync:       \(status.sync.state.rawValue)\(target)")
        print("mempool:    \(status.mempoolSize)")
        let connected = status.peers.filter(\.connected).count
        print("peers:      \(connected) of \(status.peers.count) connected")
        for peer in status.peers {
            print(
                "  \(peer.member) (\(peer.role)) \(peer.connected ? "up" : "down")\(peer.address.map { " \($0)" } ?? "")"
            )
        }
        print("validators: \(status.validators.count)")
        for validator in status.validators { print("  \(validator.member)") }
        print("version:    \(status.version)")
    }
}

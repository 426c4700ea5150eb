import ArgumentParser
import Foundation
import Logging
import Node

/// `creditchain snapshot create|restore`: a stopped node's committed state as a snapshot
/// directory, and a new node's data directory started from one (docs/node.md, "Snapshots").
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Create a state snapshot from a stopped node, or start a new node's data directory from one.",
        subcommands: [Create.self, Restore.self]
    )

    static func print(_ verb: String, _ s: NodeSnapshot.Summary, _ dir: String) {
        Swift.print(
            "\(verb) \(dir): height \(s.height.value), state root \(s.stateRoot.hex), \(s.entries) entries, \(s.blocks) anchor block(s)"
        )
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the node's state at its committed height and the blocks that prove it to a directory.")

        @Option(help: "The config file of the (stopped) node to snapshot.") var config: String
        @Option(help: "The snapshot directory to write.") var out: String

        func run() async throws {
            let config = try NodeConfig.load(path: absolutePath(self.config))
            let summary = try NodeSnapshot.create(
                config: config, into: absolutePath(out), logger: Logger(label: "creditchain.snapshot"))
            SnapshotCommand.print("snapshot written to", summary, out)
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Verify a snapshot (commit certificate, state root) and install it in a node's empty data directory.")

        @Option(help: "The config file of the node that will start from the snapshot.") var config: String
        @Option(help: "The snapshot directory.") var from: String

        func run() async throws {
            let config = try NodeConfig.load(path: absolutePath(self.config))
            let summary = try NodeSnapshot.restore(
                config: config, from: absolutePath(from), logger: Logger(label: "creditchain.snapshot"))
            SnapshotCommand.print("snapshot restored from", summary, from)
        }
    }
}

import ArgumentParser

/// The `creditchain` command: one binary for operators, nodes, tools and demos.
@main
struct CreditChain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "creditchain",
        abstract: "A permissioned BFT network for sharing enterprise credit information.",
        subcommands: [
            CryptoCommand.self, USCCCommand.self, TokenCommand.self, TxCommand.self, StatusCommand.self,
            BenchApplyCommand.self, ConsortiumCommand.self, MemberCommand.self, SimulateCommand.self,
            GenesisCommand.self, NodeCommand.self, ClusterCommand.self, DemoCommand.self, BenchCommand.self,
            WalkthroughCommand.self, SnapshotCommand.self,
        ]
    )
}

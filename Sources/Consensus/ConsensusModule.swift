/// The `Consensus` module (see docs/architecture in README). Its types arrive with their issues.
public enum ConsensusModule {
    /// Module name, for diagnostics.
    public static let name = "Consensus"
}

/// The `ClusterSimulation` module (see docs/architecture in README). Its types arrive with their issues.
public enum ClusterSimulationModule {
    /// Module name, for diagnostics.
    public static let name = "ClusterSimulation"
}

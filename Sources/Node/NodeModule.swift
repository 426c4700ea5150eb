/// The `Node` module (see docs/architecture in README). Its types arrive with their issues.
public enum NodeModule {
    /// Module name, for diagnostics.
    public static let name = "Node"
}

/// The `Transport` module (see docs/architecture in README). Its types arrive with their issues.
public enum TransportModule {
    /// Module name, for diagnostics.
    public static let name = "Transport"
}

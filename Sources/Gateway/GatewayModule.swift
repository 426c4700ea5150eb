/// The `Gateway` module (see docs/architecture in README). Its types arrive with their issues.
public enum GatewayModule {
    /// Module name, for diagnostics.
    public static let name = "Gateway"
}

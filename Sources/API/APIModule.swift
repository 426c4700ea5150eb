/// The `API` module (see docs/architecture in README). Its types arrive with their issues.
public enum APIModule {
    /// Module name, for diagnostics.
    public static let name = "API"
}

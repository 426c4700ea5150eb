/// The `Storage` module (see docs/architecture in README). Its types arrive with their issues.
public enum StorageModule {
    /// Module name, for diagnostics.
    public static let name = "Storage"
}

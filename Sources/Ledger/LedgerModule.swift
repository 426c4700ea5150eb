/// The `Ledger` module (see docs/architecture in README). Its types arrive with their issues.
public enum LedgerModule {
    /// Module name, for diagnostics.
    public static let name = "Ledger"
}

/// The `CreditRules` module (see docs/architecture in README). Its types arrive with their issues.
public enum CreditRulesModule {
    /// Module name, for diagnostics.
    public static let name = "CreditRules"
}

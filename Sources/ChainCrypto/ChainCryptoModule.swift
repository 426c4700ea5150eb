/// The `ChainCrypto` module (see docs/architecture in README). Its types arrive with their issues.
public enum ChainCryptoModule {
    /// Module name, for diagnostics.
    public static let name = "ChainCrypto"
}

/// The error every ChainCrypto operation throws: a stable dotted `code` (reused by the API as the
/// problem+json type) and a human-readable reason. Wrong-suite input, malformed keys and failed
/// authentication all surface as this value, never as a crash.
public struct ChainCryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable, lowercase, dotted code, e.g. `crypto.wrong_suite`.
    public let code: String
    /// What went wrong, for people.
    public let reason: String

    public init(code: String, reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code): \(reason)" }

    /// Input made for the other suite (a key, a sealed blob or a signature).
    static func wrongSuite(_ reason: String) -> ChainCryptoError {
        ChainCryptoError(code: "crypto.wrong_suite", reason: reason)
    }

    /// A key that cannot be used (wrong length, not on the curve, unparsable PEM).
    static func invalidKey(_ reason: String) -> ChainCryptoError {
        ChainCryptoError(code: "crypto.invalid_key", reason: reason)
    }

    /// Sealed bytes that are truncated or tampered with, or opened with the wrong key or aad.
    static func openFailed(_ reason: String) -> ChainCryptoError {
        ChainCryptoError(code: "crypto.open_failed", reason: reason)
    }

    /// libcrypto refused an operation; the reason carries OpenSSL's own message.
    static func openSSL(_ operation: String) -> ChainCryptoError {
        ChainCryptoError(code: "crypto.openssl", reason: "\(operation) failed: \(OpenSSL.takeError())")
    }
}

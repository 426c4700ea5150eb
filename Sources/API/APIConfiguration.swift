/// Limits and defaults of the client API; the node fills it from its configuration file.
public struct APIConfiguration: Hashable, Sendable {
    /// 3 MiB: the JSON form of the largest envelope (a 1 MiB payload as 2 MiB of hex) still fits,
    /// and nothing larger is ever read into memory.
    public static let defaultRequestBodyMax = 3 * 1024 * 1024

    /// Largest request body read; larger ones get 413 before the body is read.
    public var requestBodyMax: Int
    /// How long `POST /v1/transactions?wait=commit` waits when the request names no `timeout_ms`.
    public var commitWaitDefault: Duration
    /// The most a client may ask to wait (`timeout_ms` is clamped to it), so a request never
    /// holds a connection open unboundedly.
    public var commitWaitMax: Duration

    public init(
        requestBodyMax: Int = APIConfiguration.defaultRequestBodyMax, commitWaitDefault: Duration = .seconds(10),
        commitWaitMax: Duration = .seconds(30)
    ) {
        precondition(requestBodyMax > 0, "the request body limit must be positive")
        precondition(commitWaitDefault <= commitWaitMax, "the default commit wait exceeds the maximum")
        self.requestBodyMax = requestBodyMax
        self.commitWaitDefault = commitWaitDefault
        self.commitWaitMax = commitWaitMax
    }
}

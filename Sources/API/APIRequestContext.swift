import Hummingbird

/// The request context of every client API route: Hummingbird's core storage plus the staff
/// identity the bearer token resolved to (nil on the public routes), and the body limit.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `BearerTokenMiddleware` before any authenticated handler runs.
    public var identity: StaffIdentity?
    /// Read from the configuration by the router's first middleware, so one limit covers every
    /// route (Hummingbird's `collectBody` and our own `Content-Length` check both use it).
    public var requestBodyMax: Int

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.requestBodyMax = APIConfiguration.defaultRequestBodyMax
    }

    public var maxUploadSize: Int { requestBodyMax }
}

/// `GET /healthz`: live = the process serves requests; ready = it is synced and can admit
/// transactions. `reasons` says why a node is not ready (e.g. `catching up`, `storage full`).
public struct NodeHealth: Codable, Hashable, Sendable {
    public var live: Bool
    public var ready: Bool
    public var reasons: [String]

    public init(live: Bool, ready: Bool, reasons: [String] = []) {
        self.live = live
        self.ready = ready
        self.reasons = reasons
    }
}

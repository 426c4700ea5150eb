import Foundation

/// `DIR/cluster.json` of a local cluster: `{"nodes": [{"name", "role", "api", "pid", …}]}`
/// (architecture.md). Tools (`cluster status|down`, `bench load`, tests) find nodes through it.
public struct ClusterManifest: Codable, Sendable, Equatable {
    public var nodes: [Entry]

    /// One node process of the cluster.
    public struct Entry: Codable, Sendable, Equatable {
        /// Member id of the node.
        public var name: String
        /// `validator` or `observer`.
        public var role: NodeRole
        /// Base URL of the HTTP API, e.g. `http://127.0.0.1:8101`.
        public var api: String
        /// Peer (mutual TLS) address.
        public var peer: String
        /// PID of the running process, 0 when stopped.
        public var pid: Int32
        /// The node's config file.
        public var config: String
        /// Where the process writes its log.
        public var log: String

        public init(
            name: String, role: NodeRole, api: String, peer: String, pid: Int32, config: String, log: String
        ) {
            self.name = name
            self.role = role
            self.api = api
            self.peer = peer
            self.pid = pid
            self.config = config
            self.log = log
        }
    }

    public init(nodes: [Entry]) { self.nodes = nodes }

    public static func path(in dir: String) -> String { dir + "/cluster.json" }

    public static func load(dir: String) throws -> ClusterManifest {
        let path = Self.path(in: dir)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NodeError(
                code: "cluster.no_manifest", reason: "no \(path); run `creditchain cluster up --dir \(dir)`")
        }
        do { return try JSONCoding.decoder.decode(ClusterManifest.self, from: data) } catch {
            throw NodeError(code: "cluster.bad_manifest", reason: "\(path): \(error)")
        }
    }

    public func write(dir: String) throws {
        try JSONCoding.encoder.encode(self).write(to: URL(fileURLWithPath: Self.path(in: dir)), options: .atomic)
    }
}

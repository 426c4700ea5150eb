import ChainCore
import Foundation

/// Whether a replica votes (a validator in the genesis set) or only follows the chain and serves
/// reads (an observer).
public enum NodeRole: String, Codable, Sendable, CaseIterable {
    case validator
    case observer
}

/// A `host:port` pair from a config file. Only literal hosts are expected on a consortium network
/// (certificates carry member ids, not host names).
public struct NodeAddress: Hashable, Sendable, Codable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (the last colon separates the port, so `[::1]:7000` works).
    public init(parsing text: String) throws {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw NodeError(code: "config.bad_address", reason: "expected host:port, got \(text)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw NodeError(code: "config.bad_address", reason: "empty host in \(text)") }
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// The node config file (`creditchain node --config FILE`), JSON with snake_case keys. Relative
/// paths are relative to the config file's directory. See docs/node.md.
public struct NodeConfig: Codable, Sendable, Equatable {
    /// The member this node runs as (its certificate says the same).
    public var member: String
    public var role: NodeRole
    /// Where blocks, safety data, state and logs live (docs/node.md, "Data directory").
    public var dataDir: String
    public var genesis: String
    public var listen: Listen
    /// Peer member id → address of its peer port. A node dials every peer; duplicate links are
    /// resolved by the transport.
    public var peers: [String: NodeAddress]
    public var keys: Keys
    public var mempool: MempoolLimits
    /// `trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`.
    public var logLevel: String
    /// Threads that run the node: its event loops, which also run its Swift tasks and actors.
    /// `nil`: one per core. Nodes that share a machine split its cores (`cluster up` writes
    /// cores / nodes, at least 1).
    public var workerThreads: Int?

    /// The two listening sockets of a node.
    public struct Listen: Codable, Sendable, Equatable {
        /// Mutual-TLS node-to-node port (consensus, sync, gossip).
        public var peer: NodeAddress
        /// HTTP API port.
        public var api: NodeAddress

        public init(peer: NodeAddress, api: NodeAddress) {
            self.peer = peer
            self.api = api
        }
    }

    /// Key and certificate files of this member (as `member add` wrote them).
    public struct Keys: Codable, Sendable, Equatable {
        public var caCertificate: String
        public var tlsCertificate: String
        public var tlsKey: String
        /// The member's signing key in the consortium suite; a validator's consensus key.
        public var signingKey: String

        public init(caCertificate: String, tlsCertificate: String, tlsKey: String, signingKey: String) {
            self.caCertificate = caCertificate
            self.tlsCertificate = tlsCertificate
            self.tlsKey = tlsKey
            self.signingKey = signingKey
        }
    }

    public init(
        member: String, role: NodeRole, dataDir: String, genesis: String, listen: Listen,
        peers: [String: NodeAddress], keys: Keys, mempool: MempoolLimits = MempoolLimits(), logLevel: String = "info",
        workerThreads: Int? = nil
    ) {
        self.member = member
        self.role = role
        self.dataDir = dataDir
        self.genesis = genesis
        self.listen = listen
        self.peers = peers
        self.keys = keys
        self.mempool = mempool
        self.logLevel = logLevel
        self.workerThreads = workerThreads
    }

    enum CodingKeys: String, CodingKey {
        case member, role, dataDir, genesis, listen, peers, keys, mempool, logLevel, workerThreads
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        member = try c.decode(String.self, forKey: .member)
        role = try c.decode(NodeRole.self, forKey: .role)
        dataDir = try c.decode(String.self, forKey: .dataDir)
        genesis = try c.decode(String.self, forKey: .genesis)
        listen = try c.decode(Listen.self, forKey: .listen)
        peers = try c.decodeIfPresent([String: NodeAddress].self, forKey: .peers) ?? [:]
        keys = try c.decode(Keys.self, forKey: .keys)
        mempool = try c.decodeIfPresent(MempoolLimits.self, forKey: .mempool) ?? MempoolLimits()
        logLevel = try c.decodeIfPresent(String.self, forKey: .logLevel) ?? "info"
        workerThreads = try c.decodeIfPresent(Int.self, forKey: .workerThreads)
        if let n = workerThreads, !(1...Self.workerThreadsMax).contains(n) {
            throw NodeError(
                code: "config.invalid",
                reason: "worker_threads must be between 1 and \(Self.workerThreadsMax), not \(n)")
        }
    }

    /// The most `worker_threads` a config may ask for.
    public static let workerThreadsMax = 256

    /// The member id, validated.
    public var memberID: MemberID {
        get throws { try MemberID(member) }
    }

    /// Reads a config file and resolves its relative paths against the file's directory.
    public static func load(path: String) throws -> NodeConfig {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw NodeError(code: "config.unreadable", reason: "cannot read \(path): \(error.localizedDescription)")
        }
        var config: NodeConfig
        do { config = try JSONCoding.decoder.decode(NodeConfig.self, from: data) } catch let error as NodeError {
            throw error
        } catch {
            throw NodeError(code: "config.invalid", reason: "\(path): \(error)")
        }
        let base = url.deletingLastPathComponent().path
        config.resolvePaths(relativeTo: base)
        _ = try config.memberID
        for peer in config.peers.keys { _ = try MemberID(peer) }
        return config
    }

    /// Makes every path absolute, relative to `base`.
    public mutating func resolvePaths(relativeTo base: String) {
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : base + "/" + p }
        dataDir = resolve(dataDir)
        genesis = resolve(genesis)
        keys.caCertificate = resolve(keys.caCertificate)
        keys.tlsCertificate = resolve(keys.tlsCertificate)
        keys.tlsKey = resolve(keys.tlsKey)
        keys.signingKey = resolve(keys.signingKey)
    }

    /// Writes the config as pretty JSON (keys sorted, so files diff well).
    public func write(to path: String) throws {
        try JSONCoding.encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// The JSON coders of every node file: snake_case keys, sorted and pretty on output.
public enum JSONCoding {
    public static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }

    public static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }
}

import API
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOPosix
import Node
import Prometheus
import ServiceLifecycle

/// `creditchain node --config FILE`: one replica and its API as services; SIGTERM/SIGINT stop it
/// gracefully (in-flight block write finished, peers closed, exit 0).
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Run one replica (validator or observer) and its HTTP API.")

    @Option(help: "The node config file (docs/node.md).") var config: String

    func run() async throws {
        let config = try NodeConfig.load(path: absolutePath(config))
        // Before anything touches the shared event-loop group: its size, and the same threads as
        // the executor of every task and actor, so a message goes from a socket to the replica
        // without a hop to another thread pool (docs/node.md, "Threads").
        if let threads = config.workerThreads { NIOSingletons.groupLoopCountSuggestion = threads }
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let level = Logger.Level(rawValue: config.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "creditchain.node")
        logger[metadataKey: "member"] = "\(config.member)"
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let metrics = NodeMetrics(registry: registry)
        let service: NodeService
        do {
            service = try NodeService(config: config, metrics: metrics, logger: logger)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(2)
        }
        let providers: [any APIRouteProvider] = try CreditRoutes.forNode(service).map { [$0] } ?? []
        let api = ClientAPI(
            node: NodeAccessAdapter(service: service), tokens: TokenStore(directory: config.dataDir, logger: logger),
            providers: providers)
        let app = api.makeApplication(
            address: .hostname(config.listen.api.host, port: config.listen.api.port),
            logger: Logger(label: "creditchain.api"))
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: app),
                ], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

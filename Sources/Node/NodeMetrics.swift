import Prometheus

/// The node's Prometheus metrics (`GET /metrics`). The registry is also the swift-metrics backend
/// (`MetricsSystem.bootstrap` in the `node` command), so other modules' swift-metrics calls land in
/// the same exposition.
public final class NodeMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let committedHeight: Gauge
    public let round: Gauge
    public let mempoolSize: Gauge
    public let mempoolBytes: Gauge
    public let peersConnected: Gauge
    public let committedTransactions: Counter
    public let committedBlocks: Counter
    public let rejectedTransactions: Counter
    public let busyRejections: Counter
    public let syncedBlocks: Counter
    public let commitLatency: DurationHistogram
    public let fsyncDuration: DurationHistogram
    public let blockExecution: DurationHistogram

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        func d(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "creditchain", metricName: name, unitName: unit, helpText: help)
        }
        let latencyBuckets: [Duration] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].map {
            .milliseconds($0)
        }
        let fsyncBuckets: [Duration] =
            [50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 100_000].map { .microseconds($0) }
        committedHeight = registry.makeGauge(descriptor: d("committed_height", "blocks", "Last committed height."))
        round = registry.makeGauge(descriptor: d("consensus_round", "rounds", "Current consensus round."))
        mempoolSize = registry.makeGauge(descriptor: d("mempool_size", "transactions", "Pending transactions."))
        mempoolBytes = registry.makeGauge(descriptor: d("mempool_size", "bytes", "Pending transaction bytes."))
        peersConnected = registry.makeGauge(descriptor: d("peers_connected", "peers", "Connected peers."))
        committedTransactions = registry.makeCounter(
            descriptor: d("committed_transactions", "total", "Transactions committed."))
        committedBlocks = registry.makeCounter(descriptor: d("committed_blocks", "total", "Blocks committed."))
        rejectedTransactions = registry.makeCounter(
            descriptor: d("rejected_transactions", "total", "Transactions refused at admission."))
        busyRejections = registry.makeCounter(
            descriptor: d("mempool_busy", "total", "Submissions refused because the mempool was full."))
        syncedBlocks = registry.makeCounter(
            descriptor: d("synced_blocks", "total", "Blocks fetched from peers and verified."))
        commitLatency = registry.makeDurationHistogram(
            descriptor: d("commit_latency", "seconds", "Admission to commit of local transactions."),
            buckets: latencyBuckets)
        fsyncDuration = registry.makeDurationHistogram(
            descriptor: d("fsync_duration", "seconds", "Durable writes: block append and safety data."),
            buckets: fsyncBuckets)
        blockExecution = registry.makeDurationHistogram(
            descriptor: d("block_execution", "seconds", "Execution and state commit of one block."),
            buckets: latencyBuckets)
    }

    /// The Prometheus text exposition.
    public func exposition() -> String { registry.emitToString() }
}

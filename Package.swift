// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6)
]

let package = Package(
    name: "creditchain",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "creditchain", targets: ["creditchain"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // OpenSSL 3 libcrypto: SM2, SM3, SM4 for the GM suite.
        .systemLibrary(
            name: "COpenSSL",
            path: "Sources/COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // Pure cores.
        .target(name: "ChainCore", swiftSettings: swiftSettings),
        .target(
            name: "ChainCrypto",
            dependencies: [
                "ChainCore", "COpenSSL",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "Ledger", dependencies: ["ChainCore", "ChainCrypto"], swiftSettings: swiftSettings),
        .target(
            name: "Consensus", dependencies: ["ChainCore", "ChainCrypto", "Ledger"], swiftSettings: swiftSettings),
        .target(
            name: "CreditRules", dependencies: ["ChainCore", "ChainCrypto", "Ledger"],
            swiftSettings: swiftSettings),
        .target(
            name: "ClusterSimulation",
            dependencies: [
                "ChainCore", "ChainCrypto", "Ledger", "Consensus", "CreditRules",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Shells.
        .target(
            name: "Storage",
            dependencies: [
                "ChainCore", "Ledger",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Transport",
            dependencies: [
                "ChainCore", "ChainCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Gateway",
            dependencies: ["ChainCore", "ChainCrypto", "Ledger", "CreditRules", "Storage", "Transport"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "API",
            dependencies: [
                "ChainCore", "Ledger", "CreditRules", "Gateway",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources/openapi.yaml")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Node",
            dependencies: [
                "ChainCore", "ChainCrypto", "Ledger", "Consensus", "CreditRules", "Storage", "Transport",
                "Gateway", "API",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "creditchain",
            dependencies: [
                "ChainCore", "ChainCrypto", "Ledger", "Consensus", "CreditRules", "ClusterSimulation",
                "Storage", "Transport", "Gateway", "API", "Node",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Storage benchmark, and the child process the Storage crash tests kill.
        .executableTarget(
            name: "storage-bench",
            dependencies: [
                "ChainCore", "ChainCrypto", "Ledger", "Storage",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Tests mirror sources.
        .testTarget(
            name: "ChainCoreTests", dependencies: ["ChainCore"], resources: [.copy("Vectors")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "ChainCore", "ChainCrypto", "Ledger", "Storage", "storage-bench",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ChainCryptoTests",
            dependencies: [
                "ChainCore", "ChainCrypto",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            resources: [.copy("Vectors")], swiftSettings: swiftSettings),
        .testTarget(
            name: "APITests",
            dependencies: [
                "API", "ChainCore", "Ledger",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TransportTests",
            dependencies: [
                "ChainCore", "ChainCrypto", "Transport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgerTests",
            dependencies: ["ChainCore", "Ledger", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CreditRulesTests",
            dependencies: [
                "ChainCore", "Ledger", "CreditRules", .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources")], swiftSettings: swiftSettings),
        .testTarget(
            name: "NodeTests",
            dependencies: [
                "Node", "ChainCore", "ChainCrypto", "Ledger", "CreditRules", "API", "Storage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ConsensusTests", dependencies: ["ChainCore", "Ledger", "Consensus", "ClusterSimulation"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ClusterSimulationTests", dependencies: ["ChainCore", "Ledger", "Consensus", "ClusterSimulation"],
            swiftSettings: swiftSettings),
    ]
)

import Foundation
import Node
import Testing

struct NodeConfigTests {
    @Test func loadsSnakeCaseAndResolvesRelativePaths() throws {
        let dir = temporaryDirectory()
        let json = """
            {
              "member": "validator-1", "role": "validator", "data_dir": "data", "genesis": "../genesis.json",
              "listen": {"peer": "127.0.0.1:7101", "api": "[::1]:8101"},
              "peers": {"validator-2": "127.0.0.1:7102"},
              "keys": {"ca_certificate": "/etc/ca.pem", "tls_certificate": "tls.pem", "tls_key": "tls.key",
                       "signing_key": "signing.key"},
              "mempool": {"transactions_max": 10}
            }
            """
        try json.write(toFile: dir + "/node.json", atomically: true, encoding: .utf8)
        let c = try NodeConfig.load(path: dir + "/node.json")
        #expect(c.dataDir == dir + "/data")
        #expect(c.genesis == dir + "/../genesis.json")
        #expect(c.keys.caCertificate == "/etc/ca.pem")
        #expect(c.listen.api == NodeAddress(host: "::1", port: 8101))
        #expect(c.peers["validator-2"] == NodeAddress(host: "127.0.0.1", port: 7102))
        #expect(c.mempool.transactionsMax == 10)
        #expect(c.mempool.bytesMax == MempoolLimits().bytesMax)
        #expect(c.logLevel == "info")
        #expect(c.workerThreads == nil)

        try c.write(to: dir + "/copy.json")
        #expect(try NodeConfig.load(path: dir + "/copy.json") == c)
    }

    @Test func refusesBadAddressesAndMemberIDs() throws {
        #expect(throws: NodeError.self) { try NodeAddress(parsing: "localhost") }
        #expect(throws: NodeError.self) { try NodeAddress(parsing: "h:99999") }
        let dir = temporaryDirectory()
        let json = """
            {"member": "Bad_ID", "role": "observer", "data_dir": "d", "genesis": "g",
             "listen": {"peer": "127.0.0.1:1", "api": "127.0.0.1:2"},
             "keys": {"ca_certificate": "a", "tls_certificate": "b", "tls_key": "c", "signing_key": "d"}}
            """
        try json.write(toFile: dir + "/node.json", atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try NodeConfig.load(path: dir + "/node.json") }
    }

    @Test func workerThreadsAreBounded() throws {
        let dir = temporaryDirectory()
        func load(_ threads: Int) throws -> NodeConfig {
            let json = """
                {"member": "validator-1", "role": "validator", "data_dir": "d", "genesis": "g",
                 "listen": {"peer": "127.0.0.1:1", "api": "127.0.0.1:2"},
                 "keys": {"ca_certificate": "a", "tls_certificate": "b", "tls_key": "c", "signing_key": "d"},
                 "worker_threads": \(threads)}
                """
            try json.write(toFile: dir + "/node.json", atomically: true, encoding: .utf8)
            return try NodeConfig.load(path: dir + "/node.json")
        }
        #expect(try load(1).workerThreads == 1)
        #expect(try load(NodeConfig.workerThreadsMax).workerThreads == NodeConfig.workerThreadsMax)
        for bad in [0, -1, NodeConfig.workerThreadsMax + 1] {
            #expect(throws: NodeError.self) { try load(bad) }
        }
    }
}

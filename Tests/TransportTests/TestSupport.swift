import ChainCore
import ChainCrypto
import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SwiftASN1
import Transport
import X509

/// A consortium CA made in the test, issuing P-256 member certificates with the `creditchain:`
/// SAN URIs (and no host names), as `consortium init` will.
struct TestPKI {
    let key: P256.Signing.PrivateKey
    let certificate: Certificate
    let name: DistinguishedName

    init(commonName: String = "CreditChain Test CA") throws {
        let caKey = P256.Signing.PrivateKey()
        key = caKey
        name = try DistinguishedName { CommonName(commonName) }
        let now = Date()
        certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 86400 * 365, issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(caKey.publicKey))
            },
            issuerPrivateKey: .init(caKey))
    }

    func issue(
        member: String, role: String, notValidBefore: Date = Date() - 3600,
        notValidAfter: Date = Date() + 86400, uris: [String]? = nil
    ) throws -> TestCredential {
        let leafKey = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(member) }
        let names = (uris ?? ["creditchain:member:\(member)", "creditchain:role:\(role)"]).map {
            GeneralName.uniformResourceIdentifier($0)
        }
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(leafKey.publicKey),
            notValidBefore: notValidBefore, notValidAfter: notValidAfter, issuer: name, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                AuthorityKeyIdentifier(
                    keyIdentifier: SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey)).keyIdentifier)
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(key))
        return try TestCredential(certificate: leaf, key: leafKey, ca: certificate)
    }
}

/// A member's certificate and key, in the forms X509 and NIOSSL want.
struct TestCredential: Sendable {
    let certificate: Certificate
    let nioCertificate: NIOSSLCertificate
    let nioKey: NIOSSLPrivateKey
    let nioCA: NIOSSLCertificate
    let certificatePEM: String
    let keyPEM: String

    init(certificate: Certificate, key: P256.Signing.PrivateKey, ca: Certificate) throws {
        self.certificate = certificate
        certificatePEM = try certificate.serializeAsPEM().pemString
        keyPEM = key.pemRepresentation
        nioCertificate = try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)
        nioKey = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
        nioCA = try NIOSSLCertificate(bytes: Array(ca.serializeAsPEM().pemString.utf8), format: .pem)
    }

    var tlsIdentity: TLSIdentity {
        TLSIdentity(certificateChain: [nioCertificate], privateKey: nioKey, trustRoots: [nioCA])
    }
}

func member(_ id: String) -> MemberID {
    do { return try MemberID(id) } catch { fatalError("bad test member id \(id)") }
}

func role(_ name: String) -> MemberRole {
    guard let role = MemberRole(rawValue: name) else { fatalError("bad test role \(name)") }
    return role
}

/// Log lines captured for assertions ("a clear log line").
final class LogCapture: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    var logger: Logger {
        var logger = Logger(label: "test") { _ in CapturingHandler(capture: self) }
        logger.logLevel = .debug
        return logger
    }

    func append(_ line: String) { lines.withLockedValue { $0.append(line) } }
    var all: [String] { lines.withLockedValue { $0 } }
    func contains(_ text: String) -> Bool { all.contains { $0.contains(text) } }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let meta = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.append("\(event.level) \(event.message) \(meta)")
        }
    }
}

/// Tests that do not assert on logs keep the output readable.
let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// Polls `condition` every 10 ms until it holds or `seconds` pass; returns whether it held. The
/// default is generous: in the full suite, node processes, simulator seeds and these tests share
/// two cores, and a wait only ends early when the condition holds.
func eventually(within seconds: Double = 30, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}

/// Reads the next message from `stream` or nil after `seconds`.
func next(_ stream: InboundMessages, within seconds: Double = 30) async -> InboundMessage? {
    await withTaskGroup(of: InboundMessage?.self) { group in
        group.addTask {
            var iterator = stream.makeAsyncIterator()
            return await iterator.next()
        }
        group.addTask {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

/// Test limits: short timeouts and backoff so every test finishes in seconds.
func testLimits() -> TransportLimits {
    var limits = TransportLimits()
    limits.reconnectInitialDelay = .milliseconds(20)
    limits.reconnectMaxDelay = .milliseconds(200)
    limits.handshakeTimeout = .seconds(60)
    return limits
}

/// A standard test consortium: one CA, nodes run by bureaus, supervisors and data sources (banks
/// may not connect in; mediators may, as the "observers" of these tests), helpers to make nodes.
struct TestConsortium {
    let pki: TestPKI
    let authorizer: ConsortiumPeerAuthorizer
    let policy = LinkPolicy(
        inboundRoles: [.bureau, .supervisor, .dataSource, .mediator],
        outboundRoles: [.bureau, .supervisor, .dataSource])

    init() throws {
        pki = try TestPKI()
        authorizer = ConsortiumPeerAuthorizer(verifier: ConsortiumCertificateVerifier(root: pki.certificate))
    }

    func node(
        _ id: String, role: String = "bureau", peers: [MemberID: PeerEndpoint] = [:], port: Int = 0,
        limits: TransportLimits = testLimits(), logger: Logger = quietLogger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws -> PeerNetwork {
        let credential = try pki.issue(member: id, role: role)
        let configuration = PeerNetworkConfiguration(
            localMember: member(id), tls: credential.tlsIdentity, listenHost: "127.0.0.1", listenPort: port,
            peers: peers, policy: policy, limits: limits)
        return try PeerNetwork(configuration: configuration, authorizer: authorizer, group: group, logger: logger)
    }
}

extension PeerNetwork {
    var endpoint: PeerEndpoint {
        PeerEndpoint(host: "127.0.0.1", port: listeningAddress?.port ?? 0)
    }

    func isLinked(to other: MemberID, outbound: Bool = true) -> Bool {
        peerStatus().contains { $0.member == other && (outbound ? $0.outboundConnected : $0.inboundConnections > 0) }
    }
}

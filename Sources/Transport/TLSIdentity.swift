import NIOCore
import NIOSSL
import X509

/// This node's TLS credentials and the consortium CA: what both sides of every link present and
/// trust. Loaded by the node from its member directory (PEM files).
public struct TLSIdentity: Sendable {
    /// This node's certificate first, then any intermediates.
    public var certificateChain: [NIOSSLCertificate]
    public var privateKey: NIOSSLPrivateKey
    /// The consortium CA certificates. NIOSSL sends their names in the CertificateRequest; the
    /// actual chain verification is the `PeerAuthorizer`'s.
    public var trustRoots: [NIOSSLCertificate]

    public init(certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey, trustRoots: [NIOSSLCertificate]) {
        precondition(!certificateChain.isEmpty, "a TLS identity needs a certificate")
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.trustRoots = trustRoots
    }

    /// Reads PEM files: the certificate (chain), the private key and the CA certificate(s).
    public init(certificatePEM: String, privateKeyPEM: String, trustRootsPEM: String) throws {
        self.init(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)),
            privateKey: try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem),
            trustRoots: try NIOSSLCertificate.fromPEMBytes(Array(trustRootsPEM.utf8)))
    }

    /// TLS 1.3 only, mutual authentication required in both directions. `.noHostnameVerification`
    /// keeps "a certificate is required" (the server fails a client that sends none); the custom
    /// verification callback installed per connection replaces the chain check and the hostname
    /// check with the consortium identity check. `shutdownTimeout` bounds how long a closing
    /// connection waits for the peer's close_notify: a peer that stopped reading must not hold it.
    func makeContexts(shutdownTimeout: TimeAmount) throws -> (server: NIOSSLContext, client: NIOSSLContext) {
        var server = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificateChain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        server.minimumTLSVersion = .tlsv13
        server.certificateVerification = .noHostnameVerification
        server.trustRoots = .certificates(trustRoots)
        server.shutdownTimeout = shutdownTimeout

        var client = TLSConfiguration.makeClientConfiguration()
        client.minimumTLSVersion = .tlsv13
        client.certificateVerification = .noHostnameVerification
        client.trustRoots = .certificates(trustRoots)
        client.certificateChain = certificateChain.map { .certificate($0) }
        client.privateKey = .privateKey(privateKey)
        client.shutdownTimeout = shutdownTimeout
        return (try NIOSSLContext(configuration: server), try NIOSSLContext(configuration: client))
    }
}

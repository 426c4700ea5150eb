import ArgumentParser
import ChainCore
import ChainCrypto
import CreditRules
import Foundation
import Node

/// `creditchain genesis --dir DIR`: writes DIR/genesis.json from the consortium directory and prints
/// the chain id.
struct GenesisCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genesis",
        abstract: "Write genesis.json from a consortium directory and print the chain id.")

    @Option(help: "Consortium directory (consortium init, member add).") var dir: String
    @Option(help: "Output file (default DIR/genesis.json).") var output: String?
    @Option(
        help:
            "Application the chain runs: credit-rules (the credit domain, catalog from --catalog) or test-kv (the consensus test application)."
    )
    var application: String = CreditApplicationSection.applicationName
    @Option(help: "Catalog file for credit-rules (default: the bundled Guangdong sample catalog).")
    var catalog: String?
    @Flag(help: "Overwrite an existing genesis.json.") var force = false

    func run() async throws {
        let dir = absolutePath(dir)
        let out = output.map(absolutePath) ?? dir + "/genesis.json"
        if FileManager.default.fileExists(atPath: out) && !force {
            throw ValidationError("\(out) exists; a chain's genesis never changes (use --force for a new chain)")
        }
        var genesis = try GenesisBuilder.build(consortiumDir: dir, application: ApplicationSection(name: application))
        switch application {
        case CreditApplicationSection.applicationName:
            let catalogFile: CatalogFile
            if let catalog {
                guard let data = FileManager.default.contents(atPath: absolutePath(catalog)) else {
                    throw ValidationError("cannot read \(catalog)")
                }
                catalogFile = try CatalogFile.decode(Array(data))
            } else {
                catalogFile = try BundledCatalog.load()
            }
            let section = try CreditApplicationSection.forConsortium(members: genesis.members, catalog: catalogFile)
            // Fails here, not at the first node start, when the consortium cannot run the rules.
            _ = try section.creditGenesis(
                members: genesis.members, hasher: CryptoSuites.suite(try genesis.suiteID).hasher)
            genesis.application.parameters = try section.jsonValue()
            print(
                "credit-rules: \(section.catalog.count) of \(catalogFile.dataTypes.count) catalog types published by \(Set(section.sourcePublishers.map(\.member)).count) members"
            )
        case "test-kv": break
        default: throw ValidationError("--application must be credit-rules or test-kv")
        }
        let id = try genesis.computeChainID(hasher: CryptoSuites.suite(try genesis.suiteID).hasher)
        try genesis.write(to: out, chainID: id)
        print(
            "wrote \(out): \(genesis.validators.count) validators, \(genesis.members.count) members, suite \(genesis.suite)"
        )
        print("chain id: \(id.hash.hex)")
    }
}

/// Reads the consortium directory (docs/consortium.md) into a `Genesis`.
enum GenesisBuilder {
    static func build(consortiumDir dir: String, application: ApplicationSection) throws -> Genesis {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        func read(_ path: String) throws -> Data {
            guard let d = FileManager.default.contents(atPath: dir + "/" + path) else {
                throw NodeError(
                    code: "genesis.missing_file", reason: "no \(dir)/\(path); run `creditchain consortium init` first")
            }
            return d
        }
        let params = try decoder.decode(ConsortiumParameters.self, from: try read(ConsortiumLayout.parametersPath))
        try params.validate()
        guard let suite = params.suiteID else { throw NodeError(code: "genesis.unknown_suite", reason: params.suite) }
        let ca = String(decoding: try read(params.rootCertificate), as: UTF8.self)
        let memberDirs =
            (try? FileManager.default.contentsOfDirectory(atPath: dir + "/" + ConsortiumLayout.membersPath)) ?? []
        var members: [GenesisMember] = []
        var validators: [GenesisValidator] = []
        for name in memberDirs.sorted() {
            let base = ConsortiumLayout.membersPath + "/" + name + "/"
            guard FileManager.default.fileExists(atPath: dir + "/" + base + ConsortiumLayout.memberFile) else {
                continue
            }
            let m = try decoder.decode(ConsortiumMember.self, from: try read(base + ConsortiumLayout.memberFile))
            guard m.suite == params.suite else {
                throw NodeError(code: "genesis.suite_mismatch", reason: "member \(m.id) uses suite \(m.suite)")
            }
            let cert = String(decoding: try read(base + m.tlsCertificate), as: UTF8.self)
            members.append(
                GenesisMember(
                    id: m.id, name: m.name, role: m.role.rawValue, signingKey: m.signingPublicKey,
                    encryptionKey: m.encryptionPublicKey, tlsCertificate: cert, validator: m.validator,
                    registrar: m.registrar, location: m.location, sources: m.sources))
            if m.validator { validators.append(GenesisValidator(member: m.id, publicKey: m.signingPublicKey)) }
        }
        guard !validators.isEmpty else {
            throw NodeError(
                code: "genesis.no_validators", reason: "add validators with `creditchain member add --validator`")
        }
        let c = params.consensus
        let g = params.governance
        let parameters = ChainParameters(
            blockIntervalMs: c.blockIntervalMillis, roundTimeoutMs: c.roundTimeoutMillis,
            roundTimeoutBackoffPercent: c.roundTimeoutBackoffPercent, roundTimeoutMaxMs: c.roundTimeoutMaxMillis,
            clockDriftMaxMs: c.maxClockDriftMillis, blockBytesMax: c.maxBlockBytes,
            blockTransactionsMax: c.maxBlockTransactions, transactionBytesMax: c.maxTransactionBytes,
            validatorChangeDelayBlocks: c.validatorChangeDelayBlocks,
            transactionExpiryBlocks: c.transactionExpiryBlocks,
            approvalNumerator: g.approvalNumerator, approvalDenominator: g.approvalDenominator,
            proposalLifetimeBlocks: g.proposalLifetimeBlocks)
        return Genesis(
            chainName: params.name, suite: suite, genesisTimeMs: params.createdAtSeconds * 1000, caCertificate: ca,
            validators: validators, members: members, parameters: parameters, application: application)
    }
}

/// Where the consortium directory keeps one member's key files (ChainCrypto's layout).
struct MemberFiles {
    let dir: String

    func keys(of name: String) -> NodeConfig.Keys {
        let base = dir + "/" + ConsortiumLayout.membersPath + "/" + name + "/"
        return NodeConfig.Keys(
            caCertificate: dir + "/" + ConsortiumLayout.rootCertificatePath,
            tlsCertificate: base + ConsortiumLayout.memberCertificateFile,
            tlsKey: base + ConsortiumLayout.memberTLSKeyFile, signingKey: base + ConsortiumLayout.memberSigningKeyFile)
    }

    /// The member's signing key (its 0600 PKCS#8 file) in the consortium's suite.
    func signingKey(of name: String, suite: any CryptoSuite) throws -> SigningKey {
        try suite.signingKey(pkcs8PEM: try PrivateKeyFile.read(path: keys(of: name).signingKey))
    }

    static func exists(_ dir: String) -> Bool {
        FileManager.default.fileExists(atPath: dir + "/" + ConsortiumLayout.parametersPath)
    }
}

import ChainCore
import ChainCrypto
import CreditRules
import Foundation
import Ledger

/// The `credit-rules` application section of genesis: catalog, which member publishes each
/// catalog source, the purpose table, the rules' parameters and initial points.
///
/// Members are not repeated here: the credit rules' members are the chain's members (genesis
/// `members`: id, role, keys, TLS certificate, registrar flag, location), so the two can never
/// disagree about who holds which key.
public struct CreditApplicationSection: Codable, Sendable, Equatable {
    public static let applicationName = "credit-rules"

    public var catalog: [DataType]
    public var sourcePublishers: [SourcePublisher]
    public var purposes: [PurposeRoles]
    public var parameters: CreditParameters
    public var points: [PointAllocation]

    public init(
        catalog: [DataType], sourcePublishers: [SourcePublisher],
        purposes: [PurposeRoles] = CreditGenesis.defaultPurposes, parameters: CreditParameters = CreditParameters(),
        points: [PointAllocation] = []
    ) {
        self.catalog = catalog
        self.sourcePublishers = sourcePublishers
        self.purposes = purposes
        self.parameters = parameters
        self.points = points
    }

    /// Points each bank starts with (orders reserve the price of every record they ask for).
    public static let bankStartingPoints: Int64 = 100_000

    /// The section for a consortium: each member's declared `sources` become its publisher
    /// entries; the catalog keeps the types whose source some member publishes (a type nobody
    /// publishes cannot be committed to; governance adds sources later); banks start with
    /// `bankStartingPoints`.
    public static func forConsortium(members: [GenesisMember], catalog: CatalogFile) throws -> CreditApplicationSection
    {
        var publishers: [SourcePublisher] = []
        var published = Set<String>()
        for m in members.sorted(by: { $0.id < $1.id }) {
            for source in m.sources where published.insert(source).inserted {
                publishers.append(SourcePublisher(source: source, member: try MemberID(m.id)))
            }
        }
        let types = catalog.dataTypes.filter { published.contains($0.source) }
        let points = try members.filter { $0.role == "bank" }.map {
            PointAllocation(member: try MemberID($0.id), points: bankStartingPoints)
        }
        return CreditApplicationSection(catalog: types, sourcePublishers: publishers, points: points)
    }

    /// The catalog types whose source `member` publishes.
    public func types(publishedBy member: MemberID) -> [DataType] {
        let sources = Set(sourcePublishers.filter { $0.member == member }.map(\.source))
        return catalog.filter { sources.contains($0.source) }
    }

    /// The credit rules' role of a chain member (`data-source` in the consortium files,
    /// `data_source` in the rules), or nil when the rules have no such role.
    public static func creditRole(of member: GenesisMember) -> CreditRules.MemberRole? {
        CreditRules.MemberRole(name: member.role.replacingOccurrences(of: "-", with: "_"))
    }

    /// As genesis stores it: a JSON value with snake_case keys.
    public func jsonValue() throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try JSONDecoder().decode(JSONValue.self, from: try encoder.encode(self))
    }

    /// Reads the section back from genesis's application parameters.
    public static func decode(_ value: JSONValue) throws -> CreditApplicationSection {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(CreditApplicationSection.self, from: try JSONEncoder().encode(value))
        } catch let error as CreditRulesError {
            throw NodeError(code: "genesis.invalid_application", reason: error.description)
        } catch {
            throw NodeError(code: "genesis.invalid_application", reason: "credit-rules section: \(error)")
        }
    }

    /// The credit rules' genesis: this section plus the chain's members.
    public func creditGenesis(members: [GenesisMember], hasher: any ChainHasher) throws -> CreditGenesis {
        var creditMembers: [Member] = []
        for m in members {
            guard let role = Self.creditRole(of: m) else {
                throw NodeError(code: "genesis.bad_role", reason: "member \(m.id): unknown role \(m.role)")
            }
            guard let encryptionKey = Hex.decode(m.encryptionKey) else {
                throw NodeError(code: "genesis.bad_key", reason: "member \(m.id): encryption key is not hex")
            }
            let certificate = try PEM.der(m.tlsCertificate, label: "CERTIFICATE")
            let location = m.location ?? "CN-GD"
            creditMembers.append(
                Member(
                    id: try MemberID(m.id), role: role, signingKey: try m.signingKeyBytes, encryptionKey: encryptionKey,
                    tlsCertificateHash: hasher.hash(Domain.tlsCertificate, certificate),
                    location: location, onshore: location.hasPrefix("CN"), registrar: m.registrar))
        }
        let genesis = CreditGenesis(
            members: creditMembers, catalog: catalog, sourcePublishers: sourcePublishers, purposes: purposes,
            parameters: parameters, points: points)
        do { try genesis.validate() } catch let error as CreditRulesError {
            throw NodeError(code: "genesis.invalid_application", reason: error.description)
        }
        return genesis
    }
}

/// The sample catalog of Guangdong data types shipped with the node (`Resources/catalog.json`),
/// the default catalog of a new consortium's genesis.
public enum BundledCatalog {
    public static func load() throws -> CatalogFile {
        guard let url = Bundle.module.url(forResource: "Resources/catalog", withExtension: "json"),
            let data = FileManager.default.contents(atPath: url.path)
        else { throw NodeError(code: "catalog.missing", reason: "the bundled catalog.json is not installed") }
        do { return try CatalogFile.decode(Array(data)) } catch {
            throw NodeError(code: "catalog.invalid", reason: "catalog.json: \(error)")
        }
    }
}

import ChainCore
import Foundation
import GRDB
import GRDBSQLite
import Ledger
import Logging

/// The replica's application state in SQLite (through GRDB, WAL mode): the key/value entries,
/// the applied height and state root, one row per applied block, the transaction index and a
/// small meta table.
///
/// Each `apply` is ONE database transaction holding the block's writes, its transaction results
/// and the new applied height, so after any crash the state sits exactly at a block boundary;
/// the node then replays blocks `appliedHeight + 1 …` from the block store.
///
/// Durability: with `synchronous = NORMAL` (the default) in WAL mode a commit is atomic and
/// consistent but the last commits may be lost on power failure (SQLite fsyncs at checkpoints,
/// not at each commit). That is safe here because state is derived: blocks are fsync'd in the
/// block store before they are applied, and a lost commit only means replaying a few more blocks
/// on start. `Options.synchronous = .full` fsyncs each commit for deployments that want it.
///
/// Thread safety: a `DatabasePool` serialises writes and lets reads run concurrently on WAL
/// snapshots, so reads keep working while a block applies (and while the disk is full).
public final class StateStore: Sendable {
    /// SQLite's durability setting for commits (see the type's documentation).
    public enum Synchronous: String, Sendable {
        case normal = "NORMAL"
        case full = "FULL"
    }

    /// Limits; keys and values above them are refused on apply and when read from a snapshot.
    public struct Options: Sendable {
        public var synchronous: Synchronous
        public var keyBytesMax: Int
        public var valueBytesMax: Int
        /// Commits between background WAL checkpoints (`WALCheckpointer`): 16 for a store written
        /// block by block, 1 for one written in large batches (a node's), so each batch's pages
        /// are copied once, soon after it.
        public var checkpointEveryCommits: Int
        /// SQLite's page cache of the writing connection, in bytes (`PRAGMA cache_size`; SQLite's
        /// own default is 2 MiB). Blocks write rows under hashed keys, so each transaction touches
        /// B-tree pages spread over the whole file: with a small cache each of them is read back
        /// from the OS, and that cost grows with the store.
        public var cacheBytes: Int

        public init(
            synchronous: Synchronous = .normal, keyBytesMax: Int = 1024, valueBytesMax: Int = 4 << 20,
            checkpointEveryCommits: Int = 16, cacheBytes: Int = 2 << 20
        ) {
            precondition(keyBytesMax > 0 && valueBytesMax > 0 && valueBytesMax <= Int(UInt32.max))
            precondition(checkpointEveryCommits > 0)
            precondition(cacheBytes >= 1 << 20)
            self.synchronous = synchronous
            self.keyBytesMax = keyBytesMax
            self.valueBytesMax = valueBytesMax
            self.checkpointEveryCommits = checkpointEveryCommits
            self.cacheBytes = cacheBytes
        }
    }

    /// The height whose state the store holds, and that state's root.
    public struct Applied: Equatable, Sendable {
        public var height: Height
        public var stateRoot: Hash

        public init(height: Height, stateRoot: Hash) {
            self.height = height
            self.stateRoot = stateRoot
        }
    }

    /// A transaction of an applied block, as recorded in the transaction index.
    public struct AppliedTransaction: Equatable, Sendable {
        public var hash: Hash
        public var result: TransactionResult

        public init(hash: Hash, result: TransactionResult) {
            self.hash = hash
            self.result = result
        }
    }

    /// Where a transaction was committed and how it ended.
    public struct TransactionLocation: Equatable, Sendable {
        public var hash: Hash
        public var height: Height
        /// Position in its block, from 0.
        public var index: Int
        public var result: TransactionResult

        public init(hash: Hash, height: Height, index: Int, result: TransactionResult) {
            self.hash = hash
            self.height = height
            self.index = index
            self.result = result
        }
    }

    /// The database file.
    public let path: String
    let options: Options
    let pool: DatabasePool
    let logger: Logger
    let checkpointer: WALCheckpointer

    /// Opens (creating when missing) the database at `path`, creating its directory and schema.
    public init(
        path: String, options: Options = Options(), logger: Logger = Logger(label: "creditchain.storage.state")
    ) throws {
        self.path = path
        self.options = options
        self.logger = logger
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try PosixFile.makeDirectory(String(path[..<slash]))
        }
        var config = Configuration()
        config.label = "creditchain.state"
        let synchronous = options.synchronous.rawValue
        let cacheKiB = options.cacheBytes >> 10
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // The WAL is copied into the database file by `WALCheckpointer` on its own connection
            // and thread; the writer's own checkpoint (which would run inside a block's commit)
            // is only a backstop should that fall behind.
            if !db.configuration.readonly {
                // The writer's cache (a negative size is in KiB); readers keep SQLite's default.
                try db.execute(sql: "PRAGMA cache_size = -\(cacheKiB)")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(WALCheckpointer.backstopPages)")
                try db.execute(sql: "PRAGMA journal_size_limit = \(WALCheckpointer.logBytesKept)")
            }
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try StateStore.migrator.migrate(pool)
            checkpointer = try WALCheckpointer(path: path, every: options.checkpointEveryCommits, logger: logger)
        } catch {
            throw StateStore.mapError(error, path: path, logger: logger, operation: "open")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            // BLOB keys compare with memcmp, so primary-key order is lexicographic byte order.
            try db.execute(
                sql: """
                    CREATE TABLE state (key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;
                    CREATE TABLE block (height INTEGER PRIMARY KEY NOT NULL, state_root BLOB NOT NULL,
                                        tx_count INTEGER NOT NULL);
                    CREATE TABLE tx (hash BLOB PRIMARY KEY NOT NULL, height INTEGER NOT NULL,
                                     idx INTEGER NOT NULL, code TEXT NOT NULL, detail TEXT NOT NULL) WITHOUT ROWID;
                    CREATE INDEX tx_by_height ON tx(height, idx);
                    CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;
                    """)
        }
        m.registerMigration("v2") { db in
            // Nothing looked transactions up by height; the index cost a B-tree insert per
            // transaction.
            try db.execute(sql: "DROP INDEX IF EXISTS tx_by_height")
        }
        return m
    }

    // Meta names the store itself uses; `setMeta` refuses the `storage.` prefix.
    static let appliedHeightKey = "storage.applied_height"
    static let stateRootKey = "storage.state_root"

    /// The applied height and state root, nil before anything was applied or imported.
    public func applied() throws -> Applied? {
        try read("read applied height") { db in try StateStore.applied(db) }
    }

    /// The applied height alone.
    public func appliedHeight() throws -> Height? { try applied()?.height }

    /// Applies block `height` atomically: its state writes (nil value = delete), its transactions
    /// (in block order) and the new applied height and state root. `height` must be
    /// `appliedHeight + 1`, or anything when nothing is applied yet (genesis, or a fresh store).
    /// `meta` values (node-level data that must move with the state, such as the validator
    /// schedule) are written in the same transaction.
    /// On failure nothing of the block is applied; a full disk gives `storage.disk_full` and the
    /// same call succeeds once space returns.
    public func apply(
        height: Height, stateRoot: Hash, writes: [StateWrite], transactions: [AppliedTransaction] = [],
        meta: [MetaValue] = []
    ) throws {
        try apply([
            AppliedBlock(height: height, stateRoot: stateRoot, writes: writes, transactions: transactions, meta: meta)
        ])
    }

    /// One block for `apply(_:)`.
    public struct AppliedBlock: Sendable {
        public var height: Height
        public var stateRoot: Hash
        public var writes: [StateWrite]
        public var transactions: [AppliedTransaction]
        public var meta: [MetaValue]

        public init(
            height: Height, stateRoot: Hash, writes: [StateWrite], transactions: [AppliedTransaction] = [],
            meta: [MetaValue] = []
        ) {
            self.height = height
            self.stateRoot = stateRoot
            self.writes = writes
            self.transactions = transactions
            self.meta = meta
        }
    }

    /// Applies consecutive blocks in ONE database transaction, each as `apply(height:…)` would:
    /// the state afterwards is that after the last of them (still a block boundary). The first
    /// must be at `appliedHeight + 1` (or anything on an empty store), the others follow it.
    public func apply(_ blocks: [AppliedBlock]) throws {
        guard let first = blocks.first, let last = blocks.last else { return }
        for (i, b) in blocks.enumerated() {
            guard b.height.value == first.height.value &+ UInt64(i) else {
                throw StorageError(
                    code: StorageError.heightMismatch, path: path,
                    reason:
                        "blocks applied together must be consecutive: \(b.height) at position \(i) after \(first.height)"
                )
            }
            try checkMetaNames(b.meta)
            for w in b.writes {
                guard w.key.count <= options.keyBytesMax, (w.value?.count ?? 0) <= options.valueBytesMax else {
                    throw StorageError(
                        code: StorageError.tooLarge, path: path,
                        reason:
                            "state write of key \(w.key.count) / value \(w.value?.count ?? 0) bytes exceeds the limits")
                }
            }
        }
        let lastHeight = try StateStore.sqlHeight(last.height)
        try write(blocks.count == 1 ? "apply block \(first.height)" : "apply blocks \(first.height)...\(last.height)") {
            db in
            if let current = try StateStore.applied(db), current.height.value &+ 1 != first.height.value {
                throw StorageError(
                    code: StorageError.heightMismatch, path: path,
                    reason: "apply at height \(first.height), applied height is \(current.height)")
            }
            if blocks.count == 1 {
                let h = try StateStore.sqlHeight(first.height)
                try StateStore.applyRows(
                    db, writes: first.writes,
                    positioned: first.transactions.enumerated().map { (h, $0.offset, $0.element) })
            } else {
                try StateStore.applyMergedRows(db, blocks)
            }
            for block in blocks {
                let h = try StateStore.sqlHeight(block.height)
                try StateStore.writeMeta(db, block.meta)
                try StateStore.setBlock(db, height: h, stateRoot: block.stateRoot, txCount: block.transactions.count)
            }
            try StateStore.setApplied(db, height: lastHeight, stateRoot: last.stateRoot)
        }
        checkpointer.noteCommit()
    }

    /// Several blocks' rows in key order: each key's last write, and the transactions sorted by
    /// hash (stable, so a hash included twice keeps its first inclusion). A batch touches each
    /// B-tree page once, where block by block it would touch a page per row again and again.
    static func applyMergedRows(_ db: Database, _ blocks: [AppliedBlock]) throws {
        var latest: [[UInt8]: [UInt8]?] = [:]
        var rows: [(h: Int64, i: Int, t: AppliedTransaction)] = []
        for b in blocks {
            let h = try sqlHeight(b.height)
            for w in b.writes { latest[w.key] = .some(w.value) }
            for (i, t) in b.transactions.enumerated() { rows.append((h, i, t)) }
        }
        let writes = latest.map { StateWrite(key: $0.key, value: $0.value) }.sorted {
            $0.key.lexicographicallyPrecedes($1.key)
        }
        // Stable: ties (the same hash) keep block order. `Hash`'s order is its bytes' order.
        let sorted = rows.enumerated().sorted {
            $0.element.t.hash == $1.element.t.hash ? $0.offset < $1.offset : $0.element.t.hash < $1.element.t.hash
        }
        try applyRows(db, writes: writes, positioned: sorted.map(\.element))
    }

    /// State rows, then transaction rows (each with its height and position), in the order given.
    static func applyRows(
        _ db: Database, writes: [StateWrite], positioned transactions: [(h: Int64, i: Int, t: AppliedTransaction)]
    ) throws {
        // The rows go through the prepared statements' SQLite handles, their blobs bound in
        // place: per row this skips the argument array, a `Data` copy of each key and value
        // and GRDB's per-statement bookkeeping, which a block of a few hundred writes pays
        // on the replica's commit path.
        let upsert = try RawStatement(
            db,
            "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        let delete = try RawStatement(db, "DELETE FROM state WHERE key = ?")
        for w in writes {
            if let value = w.value {
                try upsert.run { s, step in
                    RawStatement.bind(s, 1, w.key) { RawStatement.bind(s, 2, value, then: step) }
                }
            } else {
                try delete.run { s, step in RawStatement.bind(s, 1, w.key, then: step) }
            }
        }
        // A hash seen before keeps its first inclusion (the ledger's replay protection makes
        // a second one impossible; if it happened, the first is the one that counted).
        let insertTx = try RawStatement(
            db, "INSERT OR IGNORE INTO tx (hash, height, idx, code, detail) VALUES (?, ?, ?, ?, ?)")
        for (h, i, t) in transactions {
            try insertTx.run { s, step in
                var code = sqlite3_bind_int64(s, 2, h)
                if code == SQLITE_OK { code = sqlite3_bind_int64(s, 3, Int64(i)) }
                guard code == SQLITE_OK else { return code }
                return RawStatement.bind(s, 1, t.hash.bytes) {
                    RawStatement.bind(s, 4, t.result.code) { RawStatement.bind(s, 5, t.result.detail, then: step) }
                }
            }
        }
    }

    /// A named value of the meta table.
    public struct MetaValue: Sendable, Equatable {
        public var name: String
        public var value: [UInt8]

        public init(name: String, value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }

    func checkMetaNames(_ meta: [MetaValue]) throws {
        for m in meta where m.name.hasPrefix("storage.") {
            throw StorageError(
                code: StorageError.invalidArgument, path: path, reason: "meta names starting with storage. are reserved"
            )
        }
    }

    static func writeMeta(_ db: Database, _ meta: [MetaValue]) throws {
        for m in meta {
            try db.execute(
                sql:
                    "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                arguments: [m.name, Data(m.value)])
        }
    }

    /// The value stored under `key`.
    public func get(_ key: [UInt8]) throws -> [UInt8]? {
        try read("get") { db in
            let data = try Data.fetchOne(db, sql: "SELECT value FROM state WHERE key = ?", arguments: [Data(key)])
            return data.map { [UInt8]($0) }
        }
    }

    /// Entries whose key starts with `prefix`, in ascending key order, at most `limit` of them,
    /// starting after `startAfter` when given (for paging: pass the last key of the previous page).
    public func scan(prefix: [UInt8], startAfter: [UInt8]? = nil, limit: Int) throws -> [StateEntry] {
        guard limit > 0 else { return [] }
        return try read("scan") { db in
            var sql = "SELECT key, value FROM state WHERE key >= ?"
            var args: [any DatabaseValueConvertible] = [Data(prefix)]
            if let end = StateStore.prefixEnd(prefix) {
                sql += " AND key < ?"
                args.append(Data(end))
            }
            if let startAfter {
                sql += " AND key > ?"
                args.append(Data(startAfter))
            }
            sql += " ORDER BY key LIMIT ?"
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { row in
                StateEntry(key: [UInt8](row[0] as Data), value: [UInt8](row[1] as Data))
            }
        }
    }

    /// Calls `body` with every entry in ascending key order from one consistent read snapshot,
    /// with the applied state of that snapshot — e.g. to load the application's state on start.
    /// Memory stays bounded: entries are streamed from a cursor.
    public func forEachEntry(_ body: (Applied?, StateEntry) throws -> Void) throws {
        try read("iterate state") { db in
            let applied = try StateStore.applied(db)
            let rows = try Row.fetchCursor(db, sql: "SELECT key, value FROM state ORDER BY key")
            while let row = try rows.next() {
                try body(applied, StateEntry(key: [UInt8](row[0] as Data), value: [UInt8](row[1] as Data)))
            }
        }
    }

    /// Where and how a transaction was committed, nil when the index does not hold it.
    public func transaction(hash: Hash) throws -> TransactionLocation? {
        try read("read transaction") { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT height, idx, code, detail FROM tx WHERE hash = ?", arguments: [Data(hash.bytes)])
            else { return nil }
            let height: Int64 = row[0]
            let index: Int = row[1]
            return TransactionLocation(
                hash: hash, height: Height(UInt64(height)), index: index,
                result: TransactionResult(code: row[2], detail: row[3]))
        }
    }

    /// The state root recorded after block `height`, when that block was applied here.
    public func stateRoot(at height: Height) throws -> Hash? {
        let h = try StateStore.sqlHeight(height)
        return try read("read state root") { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT state_root FROM block WHERE height = ?", arguments: [h])
            else { return nil }
            return try Hash(bytes: [UInt8](data))
        }
    }

    /// A value of the meta table (node-level settings that must survive restarts).
    public func meta(_ name: String) throws -> [UInt8]? {
        try read("read meta") { db in
            try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE name = ?", arguments: [name]).map { [UInt8]($0) }
        }
    }

    /// Sets (or with nil removes) a meta value. Names starting with `storage.` are reserved.
    public func setMeta(_ name: String, _ value: [UInt8]?) throws {
        try checkMetaNames([MetaValue(name: name, value: [])])
        try write("write meta") { db in
            if let value {
                try StateStore.writeMeta(db, [MetaValue(name: name, value: value)])
            } else {
                try db.execute(sql: "DELETE FROM meta WHERE name = ?", arguments: [name])
            }
        }
    }

    /// Closes the database; later calls fail.
    public func close() throws {
        checkpointer.close()
        do { try pool.close() } catch {
            throw StateStore.mapError(error, path: path, logger: logger, operation: "close")
        }
    }

    // MARK: - Internals

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch {
            throw StateStore.mapError(error, path: path, logger: logger, operation: operation)
        }
    }

    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.write(body)
        } catch {
            throw StateStore.mapError(error, path: path, logger: logger, operation: operation)
        }
    }

    static func applied(_ db: Database) throws -> Applied? {
        guard
            let h = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT value FROM meta WHERE name = ?"),
                arguments: [StateStore.appliedHeightKey]),
            let r = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT value FROM meta WHERE name = ?"),
                arguments: [StateStore.stateRootKey])
        else { return nil }
        guard h.count == 8 else {
            throw StorageError(code: StorageError.corrupt, reason: "applied height is \(h.count) bytes, not 8")
        }
        let height = h.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Applied(height: Height(height), stateRoot: try Hash(bytes: [UInt8](r)))
    }

    static func setApplied(_ db: Database, height: Int64, stateRoot: Hash) throws {
        var e = CanonicalEncoder()
        e.u64(UInt64(height))
        let upsert =
            "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value"
        try db.cachedStatement(sql: upsert).execute(arguments: [StateStore.appliedHeightKey, Data(e.bytes)])
        try db.cachedStatement(sql: upsert).execute(arguments: [StateStore.stateRootKey, Data(stateRoot.bytes)])
    }

    static func setBlock(_ db: Database, height: Int64, stateRoot: Hash, txCount: Int) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO block (height, state_root, tx_count) VALUES (?, ?, ?)")
            .execute(arguments: [height, Data(stateRoot.bytes), txCount])
    }

    static func sqlHeight(_ height: Height) throws -> Int64 {
        guard let h = Int64(exactly: height.value) else {
            throw StorageError(code: StorageError.invalidArgument, reason: "height \(height) exceeds SQLite's range")
        }
        return h
    }

    /// The smallest byte string greater than every string starting with `prefix`; nil when there
    /// is none (empty prefix, or all 0xFF).
    static func prefixEnd(_ prefix: [UInt8]) -> [UInt8]? {
        var end = prefix
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return nil
    }

    /// Maps GRDB and SQLite errors to `StorageError`: SQLITE_FULL (and an I/O error while the
    /// file system has no space left) becomes `storage.disk_full`, with one clear log line.
    /// Errors that are neither (a caller's closure threw them) pass through unchanged.
    static func mapError(_ error: any Error, path: String, logger: Logger, operation: String) -> any Error {
        guard let db = error as? DatabaseError else { return error }
        let full =
            db.resultCode == .SQLITE_FULL
            || (db.resultCode == .SQLITE_IOERR && (FreeSpace.bytesAvailable(at: path).map { $0 < 64 << 10 } ?? false))
        if full {
            logger.error(
                "state store: disk full, \(operation) refused; reads continue, writes resume when space returns",
                metadata: ["path": "\(path)", "sqlite": "\(db.message ?? "")"])
            return StorageError(
                code: StorageError.diskFull, path: path,
                reason: "\(operation): \(db.message ?? "database or disk is full")")
        }
        logger.error("state store: \(operation) failed", metadata: ["path": "\(path)", "sqlite": "\(db)"])
        return StorageError(code: StorageError.database, path: path, reason: "\(operation): \(db)")
    }
}

/// One state entry (key and value bytes).
public struct StateEntry: Equatable, Sendable {
    public var key: [UInt8]
    public var value: [UInt8]

    public init(key: [UInt8], value: [UInt8]) {
        self.key = key
        self.value = value
    }
}

/// A cached prepared statement run through SQLite's C API, its arguments bound in place
/// (`SQLITE_STATIC`: the bytes must stay valid until the step, so each `bind` takes what runs
/// while they are, and the step is innermost). For the hot insert paths of `StateStore.apply`;
/// errors become GRDB's `DatabaseError`, so `StateStore.mapError` maps them as any other (a full
/// disk included).
struct RawStatement {
    let handle: OpaquePointer
    let connection: OpaquePointer?
    let sql: String

    init(_ db: Database, _ sql: String) throws {
        handle = try db.cachedStatement(sql: sql).sqliteStatement
        connection = db.sqliteConnection
        self.sql = sql
    }

    /// Resets the statement and runs `body`, which binds the arguments and, inside the scopes
    /// that keep their bytes alive, calls `step` and returns its result (or a failed bind's code).
    func run(_ body: (_ handle: OpaquePointer, _ step: () -> CInt) -> CInt) throws {
        sqlite3_reset(handle)
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        let code = body(handle) {
            var code = sqlite3_step(handle)
            while code == SQLITE_ROW { code = sqlite3_step(handle) }
            return code
        }
        guard code == SQLITE_DONE else { throw error(code) }
    }

    func error(_ code: CInt) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code), message: connection.map { String(cString: sqlite3_errmsg($0)) },
            sql: sql)
    }

    /// `SQLITE_TRANSIENT`: SQLite copies the bound bytes.
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Binds `bytes` as a blob at `index` for the duration of `then`.
    static func bind(_ s: OpaquePointer, _ index: CInt, _ bytes: [UInt8], then: () -> CInt) -> CInt {
        bytes.withUnsafeBytes { b in
            // A zero-length blob still needs a non-null pointer to be a blob rather than NULL.
            let code = sqlite3_bind_blob(s, index, b.baseAddress ?? UnsafeRawPointer(bitPattern: 1), CInt(b.count), nil)
            return code == SQLITE_OK ? then() : code
        }
    }

    /// Binds `text` at `index` for the duration of `then`.
    static func bind(_ s: OpaquePointer, _ index: CInt, _ text: String, then: () -> CInt) -> CInt {
        var text = text
        return text.withUTF8 { t in
            let code: CInt
            if let base = t.baseAddress {
                code = sqlite3_bind_text(
                    s, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), CInt(t.count), nil)
            } else {
                // Empty: SQLite copies the (no) bytes, so the literal's temporary pointer is enough.
                code = sqlite3_bind_text(s, index, "", 0, RawStatement.transient)
            }
            return code == SQLITE_OK ? then() : code
        }
    }
}

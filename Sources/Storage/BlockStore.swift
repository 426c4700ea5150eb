import ChainCore
import Logging
import Synchronization

/// An append-only, checksummed store of opaque entries keyed by consecutive heights — the node
/// keeps one canonical block plus its commit certificate per entry.
///
/// Entries live in segment files `<first height, 20 digits>.seg` in one directory; each entry has
/// a checksummed header (`BlockEntryHeader`: height, length, CRC-32C of the payload and the
/// domain-separated hash of the payload under the consortium's hasher). See docs/storage.md.
///
/// Durability contract: `append` writes into the page cache; only `sync()` (or
/// `append(…, sync: true)`) makes entries durable, and `durableHeight` says how far. A vote or a
/// client acknowledgement may depend on an entry only after it is durable. Group commit is
/// appending several entries and calling `sync()` once.
///
/// Crash semantics: on open every sealed segment is indexed from its headers and the last segment
/// is verified entry by entry. A bad region at the end of the last segment with no valid entry
/// after it (a torn or corrupt tail: short header or payload, bad checksum, bad hash,
/// non-consecutive height) is reported in `openReport`, logged, and truncated away; damage
/// anywhere else throws `storage.corrupt` and nothing is served or repaired silently. Every read
/// verifies the entry's checksum and hash again.
///
/// Thread safety: all operations take one lock, so appends, syncs, reads and truncation are
/// serialised (a read waits for an fsync in progress).
public final class BlockStore: Sendable {
    /// Limits and checks; the defaults suit the node.
    public struct Options: Sendable {
        /// A new segment is started when an append would take the current one past this size
        /// (a single entry larger than it gets a segment of its own).
        public var segmentBytesMax: Int
        /// Largest accepted payload; checked on append and, before allocating, on every read.
        public var entryBytesMax: Int
        /// Verify every entry's payload checksum and hash on open, not only the last segment's.
        public var verifyAllOnOpen: Bool

        public init(segmentBytesMax: Int = 256 << 20, entryBytesMax: Int = 16 << 20, verifyAllOnOpen: Bool = false) {
            precondition(segmentBytesMax > 0 && entryBytesMax > 0 && entryBytesMax <= Int(UInt32.max))
            self.segmentBytesMax = segmentBytesMax
            self.entryBytesMax = entryBytesMax
            self.verifyAllOnOpen = verifyAllOnOpen
        }
    }

    /// One stored entry.
    public struct Entry: Equatable, Sendable {
        public var height: Height
        /// H("creditchain/block-store-entry/v1", payload) under the store's hasher.
        public var hash: Hash
        public var payload: [UInt8]

        public init(height: Height, hash: Hash, payload: [UInt8]) {
            self.height = height
            self.hash = hash
            self.payload = payload
        }
    }

    /// What `init` found and did: the range held and any tail it cut off.
    public struct OpenReport: Equatable, Sendable {
        public var firstHeight: Height?
        public var lastHeight: Height?
        public var segmentCount: Int
        /// Set when a torn or corrupt tail was found and truncated.
        public var truncatedTail: TruncatedTail?
    }

    /// A tail removed on open.
    public struct TruncatedTail: Equatable, Sendable {
        /// The segment file (name only).
        public var segment: String
        /// Offset in that segment where the bad region started (the file now ends here).
        public var offset: UInt64
        /// Bytes removed.
        public var droppedBytes: UInt64
        /// The height the bad entry should have had.
        public var expectedHeight: Height
        /// Why the entry at `offset` was rejected.
        public var reason: String
    }

    private struct Segment {
        var firstHeight: UInt64
        var name: String
        var file: PosixFile
        var size: UInt64
        /// Byte offset of each entry; entry `firstHeight + i` starts at `offsets[i]`.
        var offsets: [UInt64]
        var lastHeight: UInt64? { offsets.isEmpty ? nil : firstHeight + UInt64(offsets.count) - 1 }
    }

    private struct State {
        var segments: [Segment] = []
        /// Everything up to here has been fsync'd.
        var durableHeight: UInt64?
        /// Size of the last segment that is known durable (for rollback after a failed sync).
        var durableSize: UInt64 = 0
        /// Set when a rollback after a failed write or sync itself failed; cleared only by reopening.
        var writesDisabled: StorageError?
        var closed = false

        var lastHeight: UInt64? {
            for s in segments.reversed() { if let h = s.lastHeight { return h } }
            return nil
        }
    }

    /// The directory holding the segment files.
    public let directory: String
    /// What opening found.
    public let openReport: OpenReport
    private let hasher: any ChainHasher
    private let options: Options
    private let logger: Logger
    private let state: Mutex<State>

    /// Opens (creating when missing) the store in `directory`, indexing existing segments and
    /// repairing a torn tail as described on the type.
    public init(
        directory: String, hasher: any ChainHasher, options: Options = Options(),
        logger: Logger = Logger(label: "creditchain.storage.blocks")
    ) throws {
        self.directory = directory
        self.hasher = hasher
        self.options = options
        self.logger = logger
        try PosixFile.makeDirectory(directory)
        let scan = try Scanner(directory: directory, hasher: hasher, options: options, logger: logger).run()
        var st = State()
        st.segments = scan.segments
        st.durableHeight = st.lastHeight
        st.durableSize = scan.segments.last?.size ?? 0
        let last = st.lastHeight
        self.openReport = OpenReport(
            firstHeight: scan.segments.first.flatMap { $0.offsets.isEmpty ? nil : Height($0.firstHeight) },
            lastHeight: last.map(Height.init), segmentCount: scan.segments.count, truncatedTail: scan.tail)
        self.state = Mutex(st)
    }

    /// First stored height, nil when empty.
    public var firstHeight: Height? {
        state.withLock { st in
            guard let s = st.segments.first, !s.offsets.isEmpty else { return nil }
            return Height(s.firstHeight)
        }
    }

    /// Last stored height (durable or not), nil when empty.
    public var lastHeight: Height? { state.withLock { $0.lastHeight.map(Height.init) } }

    /// Last height made durable by a sync, nil when nothing is.
    public var durableHeight: Height? { state.withLock { $0.durableHeight.map(Height.init) } }

    /// Appends `payload` at `height`, which must be `lastHeight + 1` (any height when the store is
    /// empty). With `sync: true` the entry is durable when this returns. On any failure nothing
    /// of the entry remains, so the call can be retried (after a full disk frees up, for example).
    /// Returns the entry hash.
    @discardableResult
    public func append(height: Height, payload: [UInt8], sync: Bool = false) throws -> Hash {
        guard payload.count <= options.entryBytesMax else {
            throw StorageError(
                code: StorageError.tooLarge, path: directory,
                reason: "entry of \(payload.count) bytes exceeds the limit \(options.entryBytesMax)")
        }
        // Hash and checksum outside the lock: they are the expensive part for large blocks.
        let header = BlockEntryHeader(height: height.value, payload: payload, hasher: hasher)
        var bytes = header.bytes
        bytes.append(contentsOf: payload)
        try state.withLock { st in
            try checkWritable(st)
            if let last = st.lastHeight, height.value != last &+ 1 {
                throw StorageError(
                    code: StorageError.heightMismatch, path: directory,
                    reason: "append at height \(height), expected \(last &+ 1)")
            }
            try write(bytes, height: height.value, into: &st)
            if sync { try syncLocked(&st) }
        }
        return header.hash
    }

    /// Makes every appended entry durable (fdatasync of the active segment; earlier segments
    /// were synced when they were sealed). If the sync fails, the entries that were not yet
    /// durable are rolled back (`lastHeight` drops to `durableHeight`) and the error is thrown;
    /// they were never acknowledged, so the caller re-appends them when it can.
    public func sync() throws {
        try state.withLock { st in
            try checkWritable(st)
            try syncLocked(&st)
        }
    }

    /// Reads and verifies the entry at `height`; nil when the store does not hold it.
    /// A damaged entry throws `storage.corrupt` rather than returning bad bytes.
    public func read(height: Height) throws -> Entry? {
        try state.withLock { st in
            guard !st.closed else { throw closedError() }
            guard let (si, i) = locate(height.value, in: st) else { return nil }
            let seg = st.segments[si]
            let offset = seg.offsets[i]
            let head = try seg.file.read(count: BlockEntryHeader.size, at: offset)
            let header: BlockEntryHeader
            switch BlockEntryHeader.parse(head, maxPayload: options.entryBytesMax) {
            case .success(let h): header = h
            case .failure(let p):
                throw corruptRead(seg.name, offset, height.value, p.problem.reason)
            }
            guard header.height == height.value else {
                throw corruptRead(seg.name, offset, height.value, "header says height \(header.height)")
            }
            let payload = try seg.file.read(count: Int(header.length), at: offset + UInt64(BlockEntryHeader.size))
            guard payload.count == Int(header.length) else {
                throw corruptRead(seg.name, offset, height.value, "payload truncated")
            }
            guard CRC32C.checksum(payload) == header.payloadCRC else {
                throw corruptRead(seg.name, offset, height.value, "payload checksum mismatch")
            }
            guard hasher.hash(BlockEntryHeader.domain, payload) == header.hash else {
                throw corruptRead(seg.name, offset, height.value, "payload hash mismatch")
            }
            return Entry(height: height, hash: header.hash, payload: payload)
        }
    }

    /// Removes every entry above `height` (all entries when `height` is nil) and makes the
    /// removal durable. For recovery: dropping blocks the node must fetch again.
    public func truncate(after height: Height?) throws {
        try state.withLock { st in
            guard !st.closed else { throw closedError() }
            let keepThrough = height?.value
            var changed = false
            while let seg = st.segments.last {
                if let k = keepThrough, let last = seg.lastHeight, last <= k { break }
                if let k = keepThrough, k >= seg.firstHeight, !seg.offsets.isEmpty {
                    let keep = Int(k - seg.firstHeight) + 1
                    let newSize = seg.offsets[keep]
                    try seg.file.truncate(to: newSize)
                    try seg.file.sync()
                    st.segments[st.segments.count - 1].offsets.removeLast(seg.offsets.count - keep)
                    st.segments[st.segments.count - 1].size = newSize
                    changed = true
                    break
                }
                seg.file.close()
                try PosixFile.remove(directory + "/" + seg.name)
                st.segments.removeLast()
                changed = true
            }
            if changed { try PosixFile.syncDirectory(directory) }
            st.durableHeight = st.lastHeight
            st.durableSize = st.segments.last?.size ?? 0
            // A successful, durable truncation leaves a consistent store again.
            st.writesDisabled = nil
            logger.warning(
                "block store truncated",
                metadata: ["after": "\(height.map(String.init(describing:)) ?? "none")", "directory": "\(directory)"])
        }
    }

    /// Verifies every entry's checksum and hash (a full consistency check, e.g. for an operator
    /// command); throws `storage.corrupt` at the first bad entry.
    public func verify() throws {
        guard let first = firstHeight, let last = lastHeight else { return }
        var h = first
        while h <= last {
            guard try read(height: h) != nil else {
                throw StorageError(code: StorageError.corrupt, path: directory, reason: "height \(h) is missing")
            }
            h = h.next
        }
    }

    /// Closes the files. Later calls throw; closing twice is harmless.
    public func close() {
        state.withLock { st in
            for s in st.segments { s.file.close() }
            st.closed = true
        }
    }

    // MARK: - Internals (called with the lock held)

    private func checkWritable(_ st: State) throws {
        guard !st.closed else { throw closedError() }
        if let e = st.writesDisabled {
            throw StorageError(
                code: StorageError.writesDisabled, path: e.path,
                reason: "writes are disabled until the store is reopened, after: \(e.reason)")
        }
    }

    private func closedError() -> StorageError {
        StorageError(code: StorageError.invalidArgument, path: directory, reason: "the block store is closed")
    }

    private func corruptRead(_ segment: String, _ offset: UInt64, _ height: UInt64, _ why: String) -> StorageError {
        let e = StorageError(
            code: StorageError.corrupt, path: directory + "/" + segment,
            reason: "entry at height \(height), offset \(offset): \(why)")
        logger.error("block store entry is corrupt", metadata: ["error": "\(e)"])
        return e
    }

    private func locate(_ height: UInt64, in st: State) -> (Int, Int)? {
        // Binary search for the last segment whose first height is <= height.
        var lo = 0
        var hi = st.segments.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if st.segments[mid].firstHeight <= height { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        let seg = st.segments[lo - 1]
        let i = height - seg.firstHeight
        guard i < UInt64(seg.offsets.count) else { return nil }
        return (lo - 1, Int(i))
    }

    private func write(_ bytes: [UInt8], height: UInt64, into st: inout State) throws {
        var created = false
        if let seg = st.segments.last, seg.offsets.isEmpty, seg.firstHeight != height {
            // An empty segment left by a rolled-back first append of an empty store.
            seg.file.close()
            try PosixFile.remove(directory + "/" + seg.name)
            st.segments.removeLast()
        }
        if st.segments.isEmpty
            || (st.segments[st.segments.count - 1].size > 0
                && st.segments[st.segments.count - 1].size + UInt64(bytes.count) > UInt64(options.segmentBytesMax))
        {
            // Seal the current segment durably before starting the next, so that only the last
            // segment can ever hold a torn tail.
            if !st.segments.isEmpty { try syncLocked(&st) }
            let name = BlockStore.segmentName(height)
            let file: PosixFile
            do {
                file = try PosixFile.open(directory + "/" + name, create: true)
                try PosixFile.syncDirectory(directory)
            } catch let e as StorageError {
                logWriteFailure(e, height: height)
                try? PosixFile.remove(directory + "/" + name)
                throw e
            }
            st.segments.append(Segment(firstHeight: height, name: name, file: file, size: 0, offsets: []))
            st.durableSize = 0
            created = true
        }
        let i = st.segments.count - 1
        let offset = st.segments[i].size
        do {
            try st.segments[i].file.write(bytes, at: offset)
        } catch let e as StorageError {
            logWriteFailure(e, height: height)
            // Roll back the partial entry so the file ends at the last whole entry again.
            do {
                if created {
                    st.segments[i].file.close()
                    try PosixFile.remove(directory + "/" + st.segments[i].name)
                    st.segments.removeLast()
                    st.durableSize = st.segments.last?.size ?? 0
                    try PosixFile.syncDirectory(directory)
                } else {
                    try st.segments[i].file.truncate(to: offset)
                }
            } catch let rollback as StorageError {
                st.writesDisabled = rollback
                logger.critical(
                    "block store: rolling back a failed append failed; writes disabled until reopen",
                    metadata: ["error": "\(rollback)"])
            }
            throw e
        }
        st.segments[i].offsets.append(offset)
        st.segments[i].size = offset + UInt64(bytes.count)
    }

    private func syncLocked(_ st: inout State) throws {
        guard let i = st.segments.indices.last else { return }
        let last = st.lastHeight
        if last == st.durableHeight { return }
        do {
            try st.segments[i].file.sync()
            st.durableHeight = last
            st.durableSize = st.segments[i].size
        } catch let e as StorageError {
            logger.error(
                "block store: fsync failed; rolling back entries after the durable height",
                metadata: ["error": "\(e)", "durable_height": "\(st.durableHeight.map(String.init) ?? "none")"])
            // After a failed fsync the kernel may have dropped the dirty pages: cut the segment
            // back to its durable size and sync that, so the file is exactly what was durable.
            do {
                let seg = st.segments[i]
                try seg.file.truncate(to: st.durableSize)
                try seg.file.sync()
                let kept = seg.offsets.prefix { $0 < st.durableSize }.count
                st.segments[i].offsets.removeLast(seg.offsets.count - kept)
                st.segments[i].size = st.durableSize
            } catch let rollback as StorageError {
                st.writesDisabled = rollback
                logger.critical(
                    "block store: rollback after a failed fsync failed; writes disabled until reopen",
                    metadata: ["error": "\(rollback)"])
            }
            throw e
        }
    }

    private func logWriteFailure(_ e: StorageError, height: UInt64) {
        if e.code == StorageError.diskFull {
            logger.error(
                "block store: disk full, append refused; reads continue, writes resume when space returns",
                metadata: ["height": "\(height)", "error": "\(e)"])
        } else {
            logger.error("block store: append failed", metadata: ["height": "\(height)", "error": "\(e)"])
        }
    }

    static func segmentName(_ firstHeight: UInt64) -> String {
        let digits = String(firstHeight)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".seg"
    }

    static func parseSegmentName(_ name: String) -> UInt64? {
        guard name.hasSuffix(".seg"), name.utf8.count == 24 else { return nil }
        let digits = name.dropLast(4)
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits)
    }

    // MARK: - Open scan

    /// Indexes the segments on open and repairs a torn tail; see the type's documentation.
    private struct Scanner {
        let directory: String
        let hasher: any ChainHasher
        let options: Options
        let logger: Logger

        struct Outcome {
            var segments: [Segment]
            var tail: TruncatedTail?
        }

        func run() throws -> Outcome {
            let names = try PosixFile.list(directory).compactMap { name in
                BlockStore.parseSegmentName(name).map { (first: $0, name: name) }
            }.sorted { $0.first < $1.first }
            var segments: [Segment] = []
            var tail: TruncatedTail?
            for (index, item) in names.enumerated() {
                let isLast = index == names.count - 1
                if let prev = segments.last {
                    let expected = (prev.lastHeight ?? prev.firstHeight &- 1) &+ 1
                    guard item.first == expected else {
                        throw corrupt(item.name, 0, "segment starts at height \(item.first), expected \(expected)")
                    }
                }
                let file = try PosixFile.open(directory + "/" + item.name, create: false)
                var seg = Segment(firstHeight: item.first, name: item.name, file: file, size: 0, offsets: [])
                let fileSize = try file.size()
                tail = try scan(&seg, fileSize: fileSize, full: isLast || options.verifyAllOnOpen, isLast: isLast)
                if seg.offsets.isEmpty {
                    guard isLast else { throw corrupt(item.name, 0, "sealed segment holds no entry") }
                    // A segment created just before a crash, or whose only entry was torn.
                    file.close()
                    try PosixFile.remove(directory + "/" + item.name)
                    try PosixFile.syncDirectory(directory)
                    continue
                }
                segments.append(seg)
            }
            return Outcome(segments: segments, tail: tail)
        }

        private func corrupt(_ segment: String, _ offset: UInt64, _ why: String) -> StorageError {
            let e = StorageError(
                code: StorageError.corrupt, path: directory + "/" + segment, reason: "offset \(offset): \(why)")
            logger.critical("block store is corrupt before its tail; refusing to open", metadata: ["error": "\(e)"])
            return e
        }

        /// Scans one segment; returns the tail it truncated, if any.
        private func scan(_ seg: inout Segment, fileSize: UInt64, full: Bool, isLast: Bool) throws -> TruncatedTail? {
            var offset: UInt64 = 0
            var expected = seg.firstHeight
            while offset < fileSize {
                if let problem = try check(seg.file, at: offset, fileSize: fileSize, expected: expected, full: full) {
                    guard isLast else { throw corrupt(seg.name, offset, "height \(expected): \(problem)") }
                    if let later = try validEntryAfter(
                        seg.file, from: offset + 1, fileSize: fileSize, atLeast: expected)
                    {
                        throw corrupt(
                            seg.name, offset, "height \(expected): \(problem), but a valid entry follows at \(later)")
                    }
                    try seg.file.truncate(to: offset)
                    try seg.file.sync()
                    let t = TruncatedTail(
                        segment: seg.name, offset: offset, droppedBytes: fileSize - offset,
                        expectedHeight: Height(expected), reason: problem)
                    logger.warning(
                        "block store: torn or corrupt tail truncated",
                        metadata: [
                            "segment": "\(seg.name)", "offset": "\(offset)", "dropped_bytes": "\(fileSize - offset)",
                            "height": "\(expected)", "reason": "\(problem)",
                        ])
                    seg.size = offset
                    return t
                }
                let head = try seg.file.read(count: BlockEntryHeader.size, at: offset)
                // check() accepted it, so the parse succeeds.
                guard case .success(let h) = BlockEntryHeader.parse(head, maxPayload: options.entryBytesMax) else {
                    preconditionFailure("header accepted by check() failed to parse")
                }
                seg.offsets.append(offset)
                offset += UInt64(BlockEntryHeader.size) + UInt64(h.length)
                expected += 1
            }
            seg.size = offset
            return nil
        }

        /// Nil when the entry at `offset` is good; otherwise why not.
        private func check(
            _ file: PosixFile, at offset: UInt64, fileSize: UInt64, expected: UInt64, full: Bool
        ) throws -> String? {
            let head = try file.read(count: BlockEntryHeader.size, at: offset)
            let header: BlockEntryHeader
            switch BlockEntryHeader.parse(head, maxPayload: options.entryBytesMax) {
            case .success(let h): header = h
            case .failure(let p): return p.problem.reason
            }
            guard header.height == expected else {
                return "non-consecutive height \(header.height)"
            }
            let end = offset + UInt64(BlockEntryHeader.size) + UInt64(header.length)
            guard end <= fileSize else { return "payload truncated (\(fileSize - offset) of \(end - offset) bytes)" }
            guard full else { return nil }
            let payload = try file.read(count: Int(header.length), at: offset + UInt64(BlockEntryHeader.size))
            guard CRC32C.checksum(payload) == header.payloadCRC else { return "payload checksum mismatch" }
            guard hasher.hash(BlockEntryHeader.domain, payload) == header.hash else { return "payload hash mismatch" }
            return nil
        }

        /// The offset of a complete, checksummed entry at or above height `atLeast` at or after `from`,
        /// if one exists — the difference between a torn tail and damage in the middle.
        private func validEntryAfter(_ file: PosixFile, from: UInt64, fileSize: UInt64, atLeast: UInt64) throws
            -> UInt64?
        {
            let chunk = 1 << 20
            var base = from
            while base < fileSize {
                let bytes = try file.read(count: chunk + BlockEntryHeader.size, at: base)
                if bytes.count < 4 { break }
                var i = 0
                while i + 4 <= bytes.count && i < chunk {
                    if bytes[i] == 0x43 && bytes[i + 1] == 0x43 && bytes[i + 2] == 0x42 && bytes[i + 3] == 0x45 {
                        let at = base + UInt64(i)
                        let head = Array(bytes[i..<min(bytes.count, i + BlockEntryHeader.size)])
                        if case .success(let h) = BlockEntryHeader.parse(head, maxPayload: options.entryBytesMax),
                            h.height >= atLeast,
                            at + UInt64(BlockEntryHeader.size) + UInt64(h.length) <= fileSize
                        {
                            let payload = try file.read(count: Int(h.length), at: at + UInt64(BlockEntryHeader.size))
                            if CRC32C.checksum(payload) == h.payloadCRC { return at }
                        }
                    }
                    i += 1
                }
                base += UInt64(chunk)
            }
            return nil
        }
    }
}

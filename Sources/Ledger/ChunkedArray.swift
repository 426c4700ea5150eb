/// An append-only arena that grows by fixed-size chunks: growing never moves the elements already
/// stored, so the state tree has no pause proportional to its size when it outgrows its
/// capacity (an `Array` would copy hundreds of megabytes at once), and a copy of the tree that is
/// then changed copies only the chunks it touches.
struct ChunkedArray<Element> {
    static var chunkShift: Int { 16 }
    static var chunkSize: Int { 1 << chunkShift }
    static var chunkMask: Int { chunkSize - 1 }

    private var chunks: [[Element]] = []
    private(set) var count = 0

    subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < count, "arena index out of range")
            return chunks[index &>> Self.chunkShift][index & Self.chunkMask]
        }
        _modify {
            precondition(index >= 0 && index < count, "arena index out of range")
            yield &chunks[index &>> Self.chunkShift][index & Self.chunkMask]
        }
    }

    mutating func append(_ element: Element) {
        if count & Self.chunkMask == 0 {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }
}

extension ChunkedArray: Sendable where Element: Sendable {}

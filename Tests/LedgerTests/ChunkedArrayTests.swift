import Testing

@testable import Ledger

@Suite struct ChunkedArrayTests {
    @Test func elementsKeepTheirIndexAcrossChunkBoundaries() {
        var arena = ChunkedArray<Int>()
        let n = ChunkedArray<Int>.chunkSize * 2 + 3
        for i in 0..<n { arena.append(i * 7) }
        #expect(arena.count == n)
        for i in [0, 1, ChunkedArray<Int>.chunkSize - 1, ChunkedArray<Int>.chunkSize, n - 1] {
            #expect(arena[i] == i * 7)
        }
        arena[ChunkedArray<Int>.chunkSize] += 1
        #expect(arena[ChunkedArray<Int>.chunkSize] == ChunkedArray<Int>.chunkSize * 7 + 1)
    }

    @Test func aCopyIsIndependentOfTheOriginal() {
        var original = ChunkedArray<Int>()
        for i in 0..<10 { original.append(i) }
        var copy = original
        copy[3] = -1
        copy.append(10)
        #expect(original[3] == 3)
        #expect(original.count == 10)
        #expect(copy[3] == -1)
        #expect(copy.count == 11)
    }
}

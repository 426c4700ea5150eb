import ChainCore
import Foundation
import Ledger
import Storage
import Synchronization
import Testing

@testable import Node

/// The recorder writes committed blocks to the state store in batches, off the replica actor;
/// until then it serves their transactions and writes from memory.
struct StateRecorderTests {
    let txHash = Hash(w0: 1, w1: 2, w2: 3, w3: 4)

    func block(_ h: UInt64, writes: [StateWrite] = [], transactions: [Hash] = []) -> StateRecorder.Block {
        StateRecorder.Block(
            height: Height(h),
            execution: BlockExecution(
                results: transactions.map { _ in TransactionResult(code: "ok.\(h)") },
                stateRoot: Hash(w0: h, w1: 0, w2: 0, w3: 0), writes: writes),
            transactionHashes: transactions, schedule: nil)
    }

    func openStore(_ dir: String) throws -> StateStore {
        let store = try StateStore(path: dir + "/state.sqlite")
        try store.apply(height: Height(0), stateRoot: .zero, writes: [StateWrite(key: [1], value: [1])])
        return store
    }

    @Test func aPendingBlockIsServedFromMemoryUntilRecorded() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try openStore(dir)
        let recorder = StateRecorder(store: store)
        defer { recorder.close() }
        recorder.enqueue(
            block(
                1, writes: [StateWrite(key: [1], value: nil), StateWrite(key: [2], value: [2])], transactions: [txHash])
        )
        recorder.enqueue(block(2, writes: [StateWrite(key: [2], value: [3])]))
        // Below the batch limits: nothing written yet, everything readable.
        #expect(try store.applied()?.height == Height(0))
        #expect(try store.get([1]) == [1])
        #expect(try recorder.value([1]) == nil)
        #expect(try recorder.value([2]) == [3])
        #expect(try recorder.transaction(txHash)?.height == Height(1))
        #expect(try recorder.transaction(txHash)?.result == TransactionResult(code: "ok.1"))
        #expect(recorder.backlogTransactions == 1)

        try recorder.recordQueued()
        #expect(try store.applied()?.height == Height(2))
        #expect(try store.stateRoot(at: Height(1)) == Hash(w0: 1, w1: 0, w2: 0, w3: 0))
        #expect(try store.get([1]) == nil)
        #expect(try store.get([2]) == [3])
        #expect(try store.transaction(hash: txHash)?.index == 0)
        #expect(try recorder.value([2]) == [3])
        #expect(recorder.backlogTransactions == 0)
    }

    @Test func aFullBatchIsRecordedOnItsOwn() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try openStore(dir)
        let recorder = StateRecorder(store: store)
        defer { recorder.close() }
        for h in 1...StateRecorder.batchBlocks { recorder.enqueue(block(UInt64(h))) }
        await recorder.settled()
        #expect(try store.applied()?.height == Height(UInt64(StateRecorder.batchBlocks)))
        // One block more starts no record.
        recorder.enqueue(block(UInt64(StateRecorder.batchBlocks + 1), transactions: [txHash]))
        await recorder.settled()
        #expect(try store.applied()?.height == Height(UInt64(StateRecorder.batchBlocks)))
        #expect(recorder.backlogTransactions == 1)
    }

    @Test func aFailedRecordKeepsItsBlocksAndIsReported() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try openStore(dir)
        let recorder = StateRecorder(store: store)
        defer { recorder.close() }
        let reported = Mutex(0)
        recorder.setFailureHandler { _ in reported.withLock { $0 += 1 } }
        try store.close()
        for h in 1...StateRecorder.batchBlocks {
            recorder.enqueue(block(UInt64(h), transactions: h == 1 ? [txHash] : []))
        }
        await recorder.settled()
        #expect(reported.withLock { $0 } == 1)
        // Kept: still served from memory, and a retry tries them again (and fails again here).
        #expect(recorder.backlogTransactions == 1)
        #expect(try recorder.transaction(txHash)?.height == Height(1))
        #expect(throws: (any Error).self) { try recorder.recordQueued() }
        #expect(recorder.backlogTransactions == 1)
        #expect(reported.withLock { $0 } == 1)
    }
}

struct BackgroundThreadTests {
    @Test func jobsRunInOrderAndExclusiveWaitsForTheRunningOne() async {
        let worker = BackgroundThread(name: "test.background")
        let log = Mutex<[Int]>([])
        for i in 0..<100 { worker.async { log.withLock { $0.append(i) } } }
        worker.exclusive { log.withLock { $0.append(-1) } }
        await worker.settled()
        let seen = log.withLock { $0 }
        #expect(seen.filter { $0 >= 0 } == Array(0..<100))
        #expect(seen.count == 101)
        worker.close()
        // After close a job runs on the caller's thread, at once.
        worker.async { log.withLock { $0.append(100) } }
        #expect(log.withLock { $0.last } == 100)
    }
}

import Foundation

/// A serial queue of jobs on a thread of its own (the state store's batch records), outside the
/// Swift concurrency pool and the node's event loop, so a long job holds up neither.
///
/// `@unchecked Sendable`: `jobs` and `closed` are only touched with `condition` locked, and a job
/// runs with `running` locked, which is what serialises `exclusive` with the jobs.
final class BackgroundThread: @unchecked Sendable {
    private let condition = NSCondition()
    private let running = NSLock()
    private var jobs: [@Sendable () -> Void] = []
    private var closed = false

    /// Starts the thread.
    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !closed { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            running.lock()
            job()
            running.unlock()
        }
    }

    /// Queues a job; jobs run one at a time in the order queued. After `close()`, the jobs
    /// queued before it still run, and new ones run on the caller's thread.
    func async(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        if closed {
            condition.unlock()
            exclusive { job() }
            return
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on the calling thread, never while a job runs.
    func exclusive<T>(_ body: () throws -> T) rethrows -> T {
        running.lock()
        defer { running.unlock() }
        return try body()
    }

    /// Returns once every job queued before the call has run.
    func settled() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in async { c.resume() } }
    }

    /// Lets the thread end once its queued jobs have run.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

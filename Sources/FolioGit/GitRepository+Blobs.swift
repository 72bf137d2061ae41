public import Foundation

extension GitRepository {
    /// Runs `transform` over `items` on worker threads, each with a repository handle of its
    /// own (libgit2 objects are not shared between threads), and hands the results to
    /// `consume` on this thread in the order of `items`. Workers stay a bounded number of
    /// chunks ahead, so memory stays flat however many items there are; fewer items than one
    /// chunk run on this thread, with this handle. The one worker pool of Folio: the index's
    /// rebuild, `folio validate`, a listing without the index and the merge of documents
    /// changed on both sides all go through it.
    public func mapOnWorkers<Item: Sendable, R: Sendable>(_ items: [Item], chunk: Int = 256, transform: @escaping @Sendable (GitRepository, Item) throws -> R,
                                                consume: (R) throws -> Void) throws {
        if items.count < chunk {
            for item in items { try consume(transform(self, item)) }
            return
        }
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let chunks = (items.count + chunk - 1) / chunk
        let state = PipelineState<R>(chunks: chunks)
        let gitDir = self.gitDir
        for _ in 0..<workers {
            // The closures escape into the threads, which may outlive this call by a moment
            // after their last chunk.
            let thread = Thread {
                do {
                    let own = try GitRepository.open(at: gitDir)
                    while let c = state.nextChunk() {
                        var out: [R] = []
                        out.reserveCapacity(chunk)
                        for item in items[(c * chunk)..<min(items.count, (c + 1) * chunk)] { out.append(try transform(own, item)) }
                        state.deliver(c, out)
                    }
                } catch {
                    state.fail(error)
                }
                state.workerDone()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        defer { state.cancel(); state.waitForWorkers(workers) }
        for c in 0..<state.chunks {
            for result in try state.take(c) { try consume(result) }
        }
    }

    /// `mapOnWorkers` for the common case: each item names a blob, read on the worker.
    public func mapBlobs<Item: Sendable, R: Sendable>(_ items: [Item], blob: @escaping @Sendable (Item) -> GitOID, transform: @escaping @Sendable (Item, Data) -> R,
                                            consume: (R) throws -> Void) throws {
        try mapOnWorkers(items, transform: { git, item in transform(item, try git.readBlob(blob(item))) }, consume: consume)
    }
}

/// Chunks handed from the workers to the consumer, in order; workers stay at most `window`
/// chunks ahead so memory stays flat however large the repository.
final class PipelineState<R>: @unchecked Sendable {
    private let condition = NSCondition()
    private var results: [Int: [R]] = [:]
    private var next = 0
    private var taken = 0
    private var error: (any Error)?
    private var cancelled = false
    private var finishedWorkers = 0
    let chunks: Int
    private let window = 64

    init(chunks: Int) { self.chunks = chunks }

    func nextChunk() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled && next < chunks && next - taken >= window { condition.wait() }
        guard !cancelled, next < chunks else { return nil }
        next += 1
        return next - 1
    }

    func deliver(_ chunk: Int, _ out: [R]) {
        condition.lock()
        results[chunk] = out
        condition.broadcast()
        condition.unlock()
    }

    func fail(_ e: any Error) {
        condition.lock()
        if error == nil { error = e }
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    func take(_ chunk: Int) throws -> [R] {
        condition.lock()
        defer { condition.unlock() }
        while results[chunk] == nil {
            if let error { throw error }
            condition.wait()
        }
        taken = chunk + 1
        condition.broadcast()
        return results.removeValue(forKey: chunk)!
    }

    func workerDone() {
        condition.lock()
        finishedWorkers += 1
        condition.broadcast()
        condition.unlock()
    }

    func waitForWorkers(_ count: Int) {
        condition.lock()
        while finishedWorkers < count { condition.wait() }
        condition.unlock()
    }
}


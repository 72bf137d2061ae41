import Foundation

/// Spreads pure per-document work over the machine's cores.
public enum Parallel {
    /// `map` over all cores, results in input order. `transform` must be pure: it runs on
    /// several threads at once.
    public static func map<T, R>(_ items: [T], _ transform: (T) -> R) -> [R] {
        if items.count < 64 { return items.map(transform) }
        let chunks = max(1, min(items.count / 32, ProcessInfo.processInfo.activeProcessorCount * 4))
        var results = [[R]](repeating: [], count: chunks)
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            nonisolated(unsafe) let input = items
            withoutActuallyEscaping(transform) { transform in
                nonisolated(unsafe) let work = transform
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    let lower = input.count * chunk / chunks, upper = input.count * (chunk + 1) / chunks
                    out[chunk] = input[lower..<upper].map(work)
                }
            }
        }
        return results.flatMap { $0 }
    }
}

import ArgumentParser
import Foundation
import FolioModel
import FolioRepo
import FolioSync

struct GenerateCommand: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Build a synthetic repository for benchmarks (deterministic for a seed).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "How many invoices (one order each).") var invoices: Int
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "How many customers (default: scales with --invoices, at most 5,000).") var customers: Int?
    @Flag(help: "Do not write the working tree (the repository is complete in .git).") var noCheckout = false
    @Option(help: "Invoices per commit (each commit is written as one pack).") var batch: Int = 25_000
    @Argument(help: "Where to create the repository (must not exist or be empty).") var path: String

    func run(_ console: Console) throws {
        guard invoices >= 0, invoices <= 10_000_000 else { throw FolioError.usage("--invoices must be between 0 and 10000000") }
        var gen = SyntheticRepository(invoices: invoices, seed: seed, customers: customers)
        gen.checkout = !noCheckout
        guard batch > 0 else { throw FolioError.usage("--batch must be positive") }
        gen.batchSize = batch
        let fm = FileManager.default
        if let items = try? fm.contentsOfDirectory(atPath: path), !items.isEmpty { throw FolioError.usage("\(path) exists and is not empty") }
        // Built beside its destination and renamed into place when complete: a killed generate
        // leaves no half repository under PATH, only a `.PATH.partial-PID` folder, which the
        // next generate into the same folder removes.
        let target = URL(fileURLWithPath: path).standardizedFileURL
        let parent = target.deletingLastPathComponent().path
        let partialPrefix = "." + target.lastPathComponent + ".partial-"
        for name in (try? fm.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix(partialPrefix) {
            if let pid = Int32(name.dropFirst(partialPrefix.count)), kill(pid, 0) != 0, errno == ESRCH {
                try? fm.removeItem(atPath: parent + "/" + name)
                console.info("folio: removed \(name), left by a generate that was interrupted")
            }
        }
        let partial = parent + "/" + partialPrefix + String(getpid())
        let start = Date()
        let summary: SyntheticRepository.Summary
        do {
            summary = try gen.generate(at: partial)
            // A generated repository is used like any other: a plain `git merge` in it should merge documents.
            try MergeDriver.install(at: partial, executable: currentExecutable())
            if fm.fileExists(atPath: path) { try fm.removeItem(atPath: path) }   // empty, checked above
            try fm.moveItem(atPath: partial, toPath: path)
        } catch {
            try? fm.removeItem(atPath: partial)
            throw error
        }
        let seconds = Date().timeIntervalSince(start)
        if global.wantsJSON {
            console.data(CanonicalJSON.string(.object(["path": .string(path), "invoices": .int(Int64(summary.invoices)), "orders": .int(Int64(summary.orders)),
                                                      "customers": .int(Int64(summary.customers)), "commits": .int(Int64(summary.commits)),
                                                      "byStatus": .object(summary.byStatus.mapValues { .int(Int64($0)) }),
                                                      "seconds": .string(String(format: "%.2f", seconds))])))
        } else {
            console.data("Generated \(summary.invoices) invoices, \(summary.orders) orders, \(summary.customers) customers in \(summary.commits) commit(s) at \(path) (\(String(format: "%.1f", seconds)) s)")
            console.data(summary.byStatus.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" }.joined(separator: "\n"))
        }
    }
}

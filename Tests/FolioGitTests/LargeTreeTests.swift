import Foundation
import Testing
@testable import FolioGit

/// Correctness on a large sharded tree: a small edit, its diff and a path's log, and a bulk
/// pack checked out. Speed belongs to the benchmark scripts (scripts/bench*.sh), not here. The
/// default size keeps the suite quick; FOLIO_GIT_PERF_FILES=100000 runs it larger.
@Suite("Large trees")
struct LargeTreeTests {
    static func shardedPath(_ i: Int) -> String {
        let id = String(format: "inv-%07d", i)
        let hash = UInt32(truncatingIfNeeded: i &* 2_654_435_761)
        return String(format: "invoices/%02x/%02x/%@.json", (hash >> 24) & 0xFF, (hash >> 16) & 0xFF, id)
    }

    @Test("writeTree, diff and log of 10 changes on a large sharded tree are exact")
    func smallEditOnLargeTree() throws {
        let files = ProcessInfo.processInfo.environment["FOLIO_GIT_PERF_FILES"].flatMap(Int.init) ?? 20_000
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path, bare: true)
        let clock = ContinuousClock()

        var base: GitOID?
        _ = try clock.measure {
            base = try repo.bulkWrite { () throws -> GitOID in
                var changes: [String: Data?] = [:]
                changes.reserveCapacity(files)
                for i in 0..<files { changes[Self.shardedPath(i)] = Data("{\"id\":\(i)}\n".utf8) }
                let tree = try repo.writeTree(base: nil, changes: changes)
                return try repo.createCommit(tree: tree, parents: [], message: "generate", author: signature(), committer: signature())
            }
        }
        let first = try #require(base)

        var edits: [String: Data?] = [:]
        for i in stride(from: 0, to: files, by: files / 10) { edits[Self.shardedPath(i)] = Data("edited \(i)\n".utf8) }
        var second: GitOID?
        _ = try clock.measure {
            let tree = try repo.writeTree(base: repo.commitInfo(first).tree, changes: edits)
            second = try repo.createCommit(tree: tree, parents: [first], message: "edit", author: signature(), committer: signature())
        }
        let next = try #require(second)

        var changes: [GitTreeChange] = []
        _ = try clock.measure { changes = try repo.diff(from: first, to: next) }
        #expect(Set(changes.map(\.path)) == Set(edits.keys))

        var history: [(commit: GitCommitInfo, blob: GitOID?)] = []
        _ = try clock.measure { history = try repo.log(path: Self.shardedPath(0), from: next) }
        #expect(history.count == 2)

    }

    @Test("a bulk pack and the checkout of a large generated tree leave git status clean")
    func bulkPackAndCheckout() throws {
        let files = ProcessInfo.processInfo.environment["FOLIO_GIT_PERF_FILES"].flatMap(Int.init) ?? 20_000
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        let clock = ContinuousClock()
        _ = try clock.measure {
            _ = try repo.bulkWrite { () throws -> GitOID in
                var changes: [String: Data?] = [:]
                changes.reserveCapacity(files)
                for i in 0..<files {
                    changes[Self.shardedPath(i)] = Data("{\n  \"id\": \"inv-\(i)\",\n  \"total\": \(i * 7)\n}\n".utf8)
                }
                let tree = try repo.writeTree(base: nil, changes: changes)
                let commit = try repo.createCommit(tree: tree, parents: [], message: "generate", author: signature(), committer: signature())
                try repo.updateRef("refs/heads/main", to: commit, expected: nil, logMessage: "generate")
                return commit
            }
        }
        _ = try clock.measure { try repo.checkoutHead(force: true) }
        #expect(try git("status", "--porcelain", in: folder.path) == "")
        #expect(try git("ls-files", in: folder.path).split(separator: "\n").count == files)
    }
}

import Foundation
import Testing
import FolioGit
import FolioModel
import FolioTestSupport
@testable import FolioSync

/// `TreeMerger.merge` decides paths changed on one side by object ids from two tree diffs,
/// and reads content only where both sides changed. This holds it to the plain rule, path by
/// path on the contents, on random histories: adds, edits and deletions on either side or
/// both, same edits on both sides, documents in nested folders.
@Suite("Tree merge against the per-path rule")
struct TreeMergeDifferentialTests {
    static let author = GitSignature(name: "Ann", email: "ann@x.example", time: 1_790_000_000)
    static let other = GitSignature(name: "Bob", email: "bob@y.example", time: 1_790_000_100)

    func document(_ rng: inout SplitMix64, _ n: Int) -> Data {
        let value: JSONValue = .object(["a": .int(Int64(rng.int(4))), "b": .string(["x", "y", "z"][rng.int(3)]),
                                        "c": .object(["d": .int(Int64(rng.int(3))), "n": .int(Int64(n))])])
        return Data(CanonicalJSON.bytes(value))
    }

    /// Random edits of `files`: each path kept, changed, deleted, or (new paths) added.
    func edit(_ files: [String: Data], _ rng: inout SplitMix64, paths: [String]) -> [String: Data?] {
        var changes: [String: Data?] = [:]
        for path in paths {
            switch rng.int(6) {
            case 0 where files[path] != nil: changes[path] = .some(nil)
            case 1, 2: changes[path] = .some(document(&rng, rng.int(2)))
            default: break
            }
        }
        return changes
    }

    func files(_ git: GitRepository, _ commit: GitOID) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for entry in try git.listFiles(at: commit, under: ".folio") { out[entry.path] = try git.readBlob(entry.blob) }
        return out
    }

    @Test("the merged tree is what the per-path rule gives", arguments: 0..<12)
    func samePerPath(seed: Int) throws {
        let dir = TempDir("folio-treemerge")
        let git = try GitRepository.create(at: dir.file("repo"), bare: true)
        var rng = SplitMix64(state: 0x7EE_0000 + UInt64(seed))
        let paths = (0..<60).map { ".folio/s\($0 % 4)/f\($0 % 3)/doc\($0).json" }
        var baseFiles: [String: Data?] = [:]
        for path in paths where rng.chance(70) { baseFiles[path] = .some(document(&rng, 0)) }
        let baseTree = try git.writeTree(base: nil, changes: baseFiles)
        let base = try git.createCommit(tree: baseTree, parents: [], message: "base", author: Self.author, committer: Self.author)
        let baseContent = try files(git, base)

        var oursChanges = edit(baseContent, &rng, paths: paths)
        let theirsChanges = edit(baseContent, &rng, paths: paths)
        // Some of the same edits on both sides.
        for (path, change) in theirsChanges where rng.chance(20) { oursChanges[path] = change }
        let ours = try git.createCommit(tree: git.writeTree(base: baseTree, changes: oursChanges), parents: [base], message: "ours",
                                        author: Self.author, committer: Self.author)
        let theirs = try git.createCommit(tree: git.writeTree(base: baseTree, changes: theirsChanges), parents: [base], message: "theirs",
                                          author: Self.other, committer: Self.other)

        let (tree, _) = try TreeMerger(git: git).merge(ours: ours, theirs: theirs)
        let merged = try git.createCommit(tree: tree, parents: [ours, theirs], message: "merge", author: Self.author, committer: Self.author)

        let o = try files(git, ours), t = try files(git, theirs)
        var expected: [String: Data] = [:]
        for path in Set(baseContent.keys).union(o.keys).union(t.keys) {
            let (b, ov, tv) = (baseContent[path], o[path], t[path])
            let result: Data?
            if ov == tv { result = ov } else if b == ov { result = tv } else if b == tv { result = ov } else {
                let sides = (MergeSide(commit: ours.hex, author: Self.author.email), MergeSide(commit: theirs.hex, author: Self.other.email))
                let plain = try TreeMerger.mergeDocument(path: path, base: b, ours: ov, theirs: tv, oursSide: sides.0, theirsSide: sides.1)
                result = plain.outcome.conflicts.isEmpty ? plain.data
                    : try TreeMerger.decideByEdits(git: git, path: path, base: b, ours: ov, theirs: tv, commits: (ours, theirs), bases: [base],
                                                   oursSide: sides.0, theirsSide: sides.1).data
            }
            if let result { expected[path] = result }
        }
        let actual = try files(git, merged)
        let differing = Set(actual.keys).union(expected.keys).filter { actual[$0] != expected[$0] }.sorted()
        #expect(differing.isEmpty, "seed \(seed): \(differing.count) path(s) differ, e.g. \(differing.prefix(5))")
        #expect(!expected.isEmpty)
        #expect(oursChanges.count + theirsChanges.count > 0)
    }
}

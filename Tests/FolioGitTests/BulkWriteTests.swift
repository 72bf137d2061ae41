import Foundation
import Testing
@testable import FolioGit

@Suite("Bulk writes: one pack built by libgit2, and the checkout of a generated history")
struct BulkWriteTests {
    @Test("a bulk pack holds exactly the objects written: verify-pack and fsck --strict accept it, git reads them all")
    func onePack() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        var changes: [String: Data?] = [:]
        for i in 0..<500 {
            changes[String(format: "invoices/%02x/inv-%04d.json", i % 16, i)] =
                bytes("{\n  \"id\": \"inv-\(i)\",\n  \"customer\": \"C\(i % 7)\",\n  \"lines\": [\"coat\", \"belt\", \"scarf\"],\n  \"total\": \(i * 100)\n}\n")
        }
        var large = Data(capacity: 3_000_000)
        var state: UInt64 = 42
        while large.count < 3_000_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            large.append(contentsOf: Array("line \(state >> 40) of a large file\n".utf8))
        }
        changes["large.txt"] = large
        changes["empty.txt"] = Data()
        // Written again inside the bulk: an object already on disk, and a document's exact copy.
        // Neither may appear in the pack (twice).
        _ = try repo.writeBlob(bytes("already loose\n"))
        changes["loose.txt"] = bytes("already loose\n")
        changes["copy.json"] = changes["invoices/01/inv-0001.json"]!
        let commit = try repo.bulkWrite { () throws -> GitOID in
            let tree = try repo.writeTree(base: nil, changes: changes)
            let commit = try repo.createCommit(tree: tree, parents: [], message: "bulk", author: signature(), committer: signature())
            try repo.updateRef("refs/heads/main", to: commit, expected: nil, logMessage: "bulk import")
            return commit
        }

        let packFolder = repo.gitDir + "/objects/pack"
        let packs = try FileManager.default.contentsOfDirectory(atPath: packFolder).sorted()
        #expect(packs.count == 2 && packs[0].hasSuffix(".idx") && packs[1].hasSuffix(".pack"), "\(packs)")
        let pack = try Data(contentsOf: URL(fileURLWithPath: packFolder + "/" + packs[1]))
        #expect(pack.count < large.count / 2, "deflated: \(pack.count) bytes")

        let objectCount = 500 + 16 + 1 + 2 + 1 + 1 // documents, shards, invoices/, large, empty, root, commit
        let counts = try git("count-objects", "-v", in: folder.path)
        #expect(counts.contains("count: 1\n") && counts.contains("in-pack: \(objectCount)\n"), "\(counts)")
        let verify = try git("verify-pack", "-v", packFolder + "/" + packs[0], in: folder.path)
        #expect(verify.contains(": ok"), "\(verify.suffix(300))")
        try expectFsckClean(folder.path)
        #expect(try git(["cat-file", "blob", "HEAD:large.txt"], in: folder.path).output == large)
        #expect(try git(["cat-file", "blob", "HEAD:empty.txt"], in: folder.path).output == Data())
        #expect(try repo.readFile(path: "invoices/03/inv-0003.json", at: commit) == changes["invoices/03/inv-0003.json"]!)
    }

    @Test("what no commit reaches is packed too, and so is what was written before the body threw")
    func unreachableAndThrown() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path, bare: true)
        let alone = try repo.bulkWrite { try repo.writeBlob(bytes("a blob alone\n")) }
        #expect(try git("cat-file", "-p", alone.hex, in: folder.path) == "a blob alone\n")

        struct Stop: Error {}
        var written: GitOID?
        #expect(throws: Stop.self) {
            try repo.bulkWrite {
                written = try repo.writeBlob(bytes("written, then the body failed\n"))
                throw Stop()
            }
        }
        let id = try #require(written)
        #expect(try git("cat-file", "-p", id.hex, in: folder.path) == "written, then the body failed\n")
        let counts = try git("count-objects", "-v", in: folder.path)
        #expect(counts.contains("count: 0\n") && counts.contains("packs: 2\n"), "\(counts)")
        try expectFsckClean(folder.path)
    }

    /// A commit with files in an order that tests index order: "a.b" < "a/…" < "a0" by bytes.
    private func orderedCommit(_ repo: GitRepository) throws -> (GitOID, [String: Data]) {
        let files: [String: Data] = [
            "a.b.json": bytes("a.b\n"), "a/x.json": bytes("a/x\n"), "a/b/c.json": bytes("a/b/c\n"), "a0.json": bytes("a0\n"),
            ".folio/config.json": bytes("{}\n"), ".gitattributes": bytes("/invoices/**/*.json merge=folio\n"),
            "invoices/0a/1b/inv-1.json": bytes("{\"id\":\"inv-1\"}\n"), "invoices/0a/1b/inv-2.json": bytes("{\"id\":\"inv-2\"}\n"),
            "invoices/ff/00/inv-3.json": bytes("{\"id\":\"inv-3\"}\n"), "z.json": Data(),
        ]
        let commit = try repo.bulkWrite { () throws -> GitOID in
            let tree = try repo.writeTree(base: nil, changes: files.mapValues { Optional($0) })
            let commit = try repo.createCommit(tree: tree, parents: [], message: "generated", author: signature(), committer: signature())
            try repo.updateRef("refs/heads/main", to: commit, expected: nil, logMessage: "generate")
            return commit
        }
        return (commit, files)
    }

    @Test("checkoutHead into an empty working tree writes every file, in git's index order, and leaves git status clean")
    func checkoutOfAGeneratedHistory() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        let (commit, files) = try orderedCommit(repo)
        try folder.write("untracked.txt", "stays\n")

        try repo.checkoutHead(force: false)
        for (path, content) in files { #expect(try Data(contentsOf: folder.url(path)) == content, "\(path)") }
        #expect(try git("status", "--porcelain", in: folder.path) == "?? untracked.txt\n")
        #expect(try git(["diff", "--cached", "--quiet"], in: folder.path).status == 0)
        #expect(try git("ls-files", in: folder.path) == files.keys.sorted(by: pathPrecedes).joined(separator: "\n") + "\n")
        #expect(try git("diff-files", "--name-only", in: folder.path) == "")
        try expectFsckClean(folder.path)

        // A commit on top sees an index in step with HEAD.
        let next = try repo.commitChanges(["a/x.json": bytes("edited\n")], message: "edit", author: signature(), parent: commit)
        #expect(try repo.headCommit() == next)
        #expect(try git("status", "--porcelain", in: folder.path) == "?? untracked.txt\n")
        try expectFsckClean(folder.path)
    }

    @Test("a clone made without checkout: executables keep their mode, symlinks stay links")
    func checkoutKeepsModes() throws {
        let origin = try TemporaryFolder()
        defer { origin.remove() }
        try git(["init", "-q", "-b", "main"], in: origin.path)
        try origin.write("bin/run.sh", "#!/bin/sh\necho run\n")
        try origin.write("data/doc.json", "{}\n")
        chmod(origin.url("bin/run.sh").path, 0o755)
        symlink("../bin/run.sh", origin.url("data/link").path)
        try git(["add", "."], in: origin.path)
        try git(["commit", "-q", "-m", "first"], in: origin.path)
        let clone = try TemporaryFolder()
        defer { clone.remove() }
        try git(["clone", "-q", "--no-checkout", origin.path, clone.path + "/c"], in: clone.path)
        let cloned = try GitRepository.open(at: clone.path + "/c")
        try cloned.checkoutHead(force: false)
        let mode = try FileManager.default.attributesOfItem(atPath: clone.path + "/c/bin/run.sh")[.posixPermissions] as? Int
        #expect(mode == 0o755)
        #expect(try git("status", "--porcelain", in: clone.path + "/c") == "")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: clone.path + "/c/data/link") == "../bin/run.sh")
    }
}

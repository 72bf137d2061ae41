import Foundation
import Testing
@testable import FolioGit

@Suite("Bulk packs written directly, and the direct checkout into an empty working tree")
struct BulkPackAndCheckoutTests {
    @Test("SHA1 gives git's object ids at every length around the block boundaries, fed in pieces")
    func sha1() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path, bare: true)
        func hex(_ digest: [UInt8]) -> String { digest.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(Array("abc".utf8).withUnsafeBytes { SHA1.hash($0) })
            == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex([UInt8]().withUnsafeBytes { SHA1.hash($0) }) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        for length in [0, 1, 46, 47, 48, 55, 56, 63, 64, 65, 111, 119, 120, 128, 1_000, 65_537] {
            let content = Data((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ length) })
            var hasher = SHA1()
            hasher.update(Array("blob \(length)\0".utf8))
            // Uneven pieces: through the pending buffer, across block boundaries, whole blocks at once.
            var start = 0, piece = 1
            while start < length {
                let end = min(length, start + piece)
                content[start..<end].withUnsafeBytes { hasher.update($0) }
                start = end
                piece = piece * 3 + 1
            }
            #expect(hex(hasher.finish()) == (try repo.writeBlob(content)).hex, "length \(length)")
        }
    }

    @Test("a bulk pack holds whole objects: verify-pack and fsck --strict accept it, git reads them all")
    func packWithoutDeltas() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        // Documents that differ a little: the packbuilder would have stored most of them as deltas.
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
        let name = String(packs[0].dropLast(4))
        // Read-only like git's own, and named after the pack's checksum, which is its last 20 bytes.
        let attributes = try FileManager.default.attributesOfItem(atPath: packFolder + "/" + packs[1])
        #expect((attributes[.posixPermissions] as? Int) == 0o444)
        let pack = try Data(contentsOf: URL(fileURLWithPath: packFolder + "/" + packs[1]))
        #expect(name == "pack-" + pack.suffix(20).map { String(format: "%02x", $0) }.joined())
        #expect(pack.count < large.count / 2, "deflated: \(pack.count) bytes")

        let objectCount = 500 + 16 + 1 + 2 + 1 + 1 // documents, shards, invoices/, large, empty, root, commit
        let counts = try git("count-objects", "-v", in: folder.path)
        #expect(counts.contains("count: 1\n") && counts.contains("in-pack: \(objectCount)\n"), "\(counts)")
        let verify = try git("verify-pack", "-v", packFolder + "/" + packs[0], in: folder.path)
        #expect(verify.contains("non delta: \(objectCount) objects"), "\(verify.suffix(300))")
        #expect(!verify.contains("chain length"))
        try expectFsckClean(folder.path)
        #expect(try git(["cat-file", "blob", "HEAD:large.txt"], in: folder.path).output == large)
        #expect(try git(["cat-file", "blob", "HEAD:empty.txt"], in: folder.path).output == Data())
        #expect(try repo.readFile(path: "invoices/03/inv-0003.json", at: commit) == changes["invoices/03/inv-0003.json"]!)
        // git builds the very same index from the pack.
        let scratch = try TemporaryFolder()
        defer { scratch.remove() }
        try git(["index-pack", "-o", scratch.path + "/check.idx", packFolder + "/" + packs[1]], in: folder.path)
        #expect(try Data(contentsOf: scratch.url("check.idx")) == Data(contentsOf: URL(fileURLWithPath: packFolder + "/" + packs[0])))
    }

    @Test("pack.compression is honoured; unset, bulk packs use zlib's fastest level")
    func compressionLevel() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path, bare: true)
        #expect(try repo.packCompressionLevel() == 1)
        try repo.setConfig("core.compression", "9")
        #expect(try repo.packCompressionLevel() == 9)
        try repo.setConfig("pack.compression", "0")
        #expect(try repo.packCompressionLevel() == 0)
        let content = Data(repeating: UInt8(ascii: "x"), count: 200_000)
        _ = try repo.bulkWrite { try repo.writeBlob(content) }
        let packs = try FileManager.default.contentsOfDirectory(atPath: repo.gitDir + "/objects/pack").filter { $0.hasSuffix(".pack") }
        let size = try FileManager.default.attributesOfItem(atPath: repo.gitDir + "/objects/pack/" + packs[0])[.size] as? Int
        #expect((size ?? 0) > content.count, "level 0 stores the bytes as they are")
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

    @Test("checkoutHead into an empty working tree writes the files itself and leaves git status clean")
    func directCheckout() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        let (commit, files) = try orderedCommit(repo)
        try folder.write("untracked.txt", "stays\n") // not HEAD's: no reason to leave the fast path

        #expect(try repo.checkoutIntoEmptyWorkingTree(commit: commit))
        for (path, content) in files { #expect(try Data(contentsOf: folder.url(path)) == content, "\(path)") }
        #expect(try git("status", "--porcelain", in: folder.path) == "?? untracked.txt\n")
        #expect(try git(["diff", "--cached", "--quiet"], in: folder.path).status == 0)
        #expect(try git("ls-files", in: folder.path) == files.keys.sorted(by: pathPrecedes).joined(separator: "\n") + "\n")
        // Stat data recorded: git finds nothing to refresh, and none of the times is zero.
        #expect(try git("diff-files", "--name-only", in: folder.path) == "")
        #expect(!(try git("ls-files", "--debug", in: folder.path)).contains("mtime: 0:0"))
        try expectFsckClean(folder.path)
        let mode = try FileManager.default.attributesOfItem(atPath: folder.url("a/x.json").path)[.posixPermissions] as? Int
        #expect(mode == 0o644)

        // Everything else keeps working on top: a second checkoutHead has nothing to do, and a commit
        // sees an index in step with HEAD.
        #expect(try !repo.checkoutIntoEmptyWorkingTree(commit: commit))
        try repo.checkoutHead(force: false)
        let next = try repo.commitChanges(["a/x.json": bytes("edited\n")], message: "edit", author: signature(), parent: commit)
        #expect(try repo.headCommit() == next)
        #expect(try git("status", "--porcelain", in: folder.path) == "?? untracked.txt\n")
        try expectFsckClean(folder.path)
    }

    @Test("a file in the way, a symlink or an executable: the direct checkout steps aside or keeps the mode")
    func directCheckoutFallbacks() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        let (commit, files) = try orderedCommit(repo)
        // A file where HEAD has one: left to libgit2, whose forced checkout overwrites it.
        try folder.write("a0.json", "local\n")
        #expect(try !repo.checkoutIntoEmptyWorkingTree(commit: commit))
        #expect(!folder.exists("a/x.json"), "nothing written before stepping aside")
        try repo.checkoutHead(force: true)
        #expect(try Data(contentsOf: folder.url("a0.json")) == files["a0.json"])
        #expect(try git("status", "--porcelain", in: folder.path) == "")

        // A history made by plain git, with an executable and then a symlink, cloned without checkout.
        let origin = try TemporaryFolder()
        defer { origin.remove() }
        try git(["init", "-q", "-b", "main"], in: origin.path)
        try origin.write("bin/run.sh", "#!/bin/sh\necho run\n")
        try origin.write("data/doc.json", "{}\n")
        chmod(origin.url("bin/run.sh").path, 0o755)
        try git(["add", "."], in: origin.path)
        try git(["commit", "-q", "-m", "first"], in: origin.path)
        let clone = try TemporaryFolder()
        defer { clone.remove() }
        try git(["clone", "-q", "--no-checkout", origin.path, clone.path + "/c"], in: clone.path)
        let cloned = try GitRepository.open(at: clone.path + "/c")
        let clonedHead = try #require(try cloned.headCommit())
        #expect(try cloned.checkoutIntoEmptyWorkingTree(commit: clonedHead))
        let mode = try FileManager.default.attributesOfItem(atPath: clone.path + "/c/bin/run.sh")[.posixPermissions] as? Int
        #expect(mode == 0o755)
        #expect(try git("status", "--porcelain", in: clone.path + "/c") == "")
        #expect(try git("ls-files", "-s", "bin/run.sh", in: clone.path + "/c").hasPrefix("100755 "))

        symlink("../bin/run.sh", origin.url("data/link").path)
        try git(["add", "."], in: origin.path)
        try git(["commit", "-q", "-m", "link"], in: origin.path)
        let second = try TemporaryFolder()
        defer { second.remove() }
        try git(["clone", "-q", "--no-checkout", origin.path, second.path + "/c"], in: second.path)
        let linked = try GitRepository.open(at: second.path + "/c")
        let linkedHead = try #require(try linked.headCommit())
        #expect(try !linked.checkoutIntoEmptyWorkingTree(commit: linkedHead))
        try linked.checkoutHead(force: true)
        #expect(try git("status", "--porcelain", in: second.path + "/c") == "")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: second.path + "/c/data/link") == "../bin/run.sh")
    }
}

import Foundation
import Testing
import FolioGit
import FolioModel
import FolioRepo
@testable import FolioIndex

/// Whatever moves HEAD (a Folio write, plain git commit, pull, reset, checkout, a deleted
/// index file), the next read gives what a rebuild gives: the index brought up to date step
/// by step dumps the same as one built from scratch.
@Suite(.serialized) struct StalenessTests {
    let dir = TempDir("folio-stale")
    let path: String

    init() throws {
        path = try Fixture.generated(dir, invoices: 300, seed: 21, checkout: true)
    }

    /// Opens the index as a command would, checks how it caught up, and compares it with a
    /// rebuild.
    @discardableResult
    func expectCaughtUp(at repoPath: String? = nil, _ expected: (RepositoryIndex.Refresh) -> Bool, _ note: String,
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        let git = try GitRepository.open(at: repoPath ?? path)
        let incremental: [String]
        do {
            let index = try RepositoryIndex.open(git)
            #expect(expected(index.refresh), "\(note): \(index.refresh)", sourceLocation: sourceLocation)
            #expect(index.commit == (try git.headCommit()), sourceLocation: sourceLocation)
            incremental = try index.dump()
        }
        let rebuilt = try RepositoryIndex.open(git, options: .init(forceRebuild: true)).dump()
        #expect(incremental == rebuilt, "\(note): differs from a rebuild: \(Set(incremental).symmetricDifference(rebuilt).sorted().prefix(6))",
                sourceLocation: sourceLocation)
        #expect(incremental.last == "integrity ok", sourceLocation: sourceLocation)
        return incremental
    }

    static func updated(_ r: RepositoryIndex.Refresh) -> Bool { if case .updated = r { return true } else { return false } }
    static func rebuilt(_ r: RepositoryIndex.Refresh) -> Bool { if case .rebuilt = r { return true } else { return false } }
    static func upToDate(_ r: RepositoryIndex.Refresh) -> Bool { r == .upToDate }

    func git(_ args: String..., in repo: String? = nil) throws -> String {
        let r = try Tool.git(args, cwd: repo ?? path)
        #expect(r.code == 0, "git \(args.joined(separator: " ")): \(r.stderr)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Rewrites an invoice file in the working tree, as a hand edit would.
    func edit(_ id: String, in repo: String? = nil, _ change: (inout [String: JSONValue]) -> Void) throws {
        let file = (repo ?? path) + "/" + DocumentPaths.path(.invoice, id: id)
        var o = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: file))).objectValue!
        change(&o)
        try Data(CanonicalJSON.bytes(.object(o))).write(to: URL(fileURLWithPath: file))
    }

    func caller(_ who: String = Fixture.seller) -> Caller {
        Caller(identity: who, clock: Clock(now: Date(timeIntervalSince1970: 1_790_000_000)), environment: [:])
    }

    @Test func followsEveryWayHEADMoves() throws {
        try expectCaughtUp(Self.rebuilt, "first build")
        try expectCaughtUp(Self.upToDate, "nothing changed")

        // A Folio write: send a draft, pay an accepted invoice.
        let repo = try FolioRepository.open(path)
        let (invoices, _) = try Fixture.reference(repo.git)
        let draft = try #require(invoices.first { $0.status == .draft })
        let accepted = try #require(invoices.first { $0.status == .accepted && ($0.totals?.open ?? 0) > 0 })
        _ = try repo.sendInvoice(id: draft.id, email: false, caller: caller())
        _ = try repo.pay(id: accepted.id, amount: "1.00", date: nil, reference: "T-1", method: nil, caller: caller())
        let open = try #require(try repo.snapshot().orders().first { !$0.openItems.isEmpty && !$0.isMarketplace })
        _ = try repo.createInvoice(orderID: open.id, refs: nil, dueDate: nil, email: false, id: "inv-from-open", caller: caller())
        let dumped = try expectCaughtUp(Self.updated, "folio writes")
        #expect(!dumped.contains { $0.hasPrefix("order") && $0.contains(open.id) }, "an order without open items left the list")
        #expect(dumped.contains { $0.hasPrefix("invoice") && $0.contains("inv-from-open") })

        // Plain git: edit, delete, add a malformed document, commit.
        try edit(invoices[0].id) { $0["note"] = "edited by hand"; $0["customer"] = ["id": "C00042", "name": "Renamed & Co"] }
        _ = try git("rm", "-q", DocumentPaths.path(.invoice, id: invoices[1].id))
        let bad = path + "/invoices/ab/cd/broken.json"
        try FileManager.default.createDirectory(atPath: (bad as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("{\"id\": \"broken\"".utf8).write(to: URL(fileURLWithPath: bad))
        _ = try git("add", "-A")
        _ = try git("commit", "-q", "-m", "hand edits")
        let dump = try expectCaughtUp(Self.updated, "plain git commit")
        #expect(dump.contains { $0.hasPrefix("problem") && $0.contains("invoices/ab/cd/broken.json") })
        #expect(dump.contains { $0.contains("Renamed & Co") })
        #expect(!dump.contains { $0.hasPrefix("invoice") && $0.contains(invoices[1].id) })

        // A branch switch and back, and a detached HEAD.
        _ = try git("checkout", "-q", "-b", "side", "HEAD~2")
        try edit(invoices[2].id) { $0["externalId"] = "SIDE-1" }
        _ = try git("commit", "-q", "-am", "side change")
        try expectCaughtUp(Self.updated, "checkout of another branch")
        _ = try git("checkout", "-q", "main")
        try expectCaughtUp(Self.updated, "back to main")
        _ = try git("checkout", "-q", "--detach", "HEAD~1")
        try expectCaughtUp(Self.updated, "detached HEAD")
        _ = try git("checkout", "-q", "main")

        // reset --hard HEAD~3.
        _ = try git("reset", "-q", "--hard", "HEAD~3")
        try expectCaughtUp(Self.updated, "reset --hard HEAD~3")

        // A deleted index file.
        try FileManager.default.removeItem(atPath: RepositoryIndex.location(of: try GitRepository.open(at: path)))
        try expectCaughtUp(Self.rebuilt, "deleted index file")
    }

    @Test func followsAPull() throws {
        let clone = dir.file("clone")
        _ = try git("clone", "-q", path, clone, in: dir.path)
        _ = try git("config", "user.email", Fixture.seller, in: clone)
        try expectCaughtUp(at: clone, Self.rebuilt, "clone's first build")

        // The origin moves on: a Folio write and a plain-git one.
        let origin = try FolioRepository.open(path)
        let (invoices, _) = try Fixture.reference(origin.git)
        let pending = try #require(invoices.first { $0.status == .pendingApproval })
        let buyer = try #require(try origin.snapshot().parties().parties.first { $0.value.customerId == pending.customer.id }?.key)
        _ = try origin.respond(id: pending.id, with: .accepted, text: nil, caller: caller(buyer))
        try edit(invoices[5].id) { $0["purchaseOrderNumber"] = "PO-PULLED" }
        _ = try git("commit", "-q", "-am", "origin edit")

        _ = try git("pull", "-q", "--ff-only", in: clone)
        let dump = try expectCaughtUp(at: clone, Self.updated, "git pull")
        #expect(dump.contains { $0.contains("PO-PULLED") })
    }

    @Test func rebuildsWhenTheRecordedCommitIsGone() throws {
        _ = try git("checkout", "-q", "-b", "doomed")
        try edit("inv-0000004") { $0["note"] = "soon unreachable" }
        _ = try git("commit", "-q", "-am", "doomed")
        try expectCaughtUp(Self.rebuilt, "built on the doomed branch")
        _ = try git("checkout", "-q", "main")
        _ = try git("branch", "-q", "-D", "doomed")
        _ = try git("reflog", "expire", "--expire=now", "--all")
        _ = try git("gc", "-q", "--prune=now")
        var messages: [String] = []
        let index = try RepositoryIndex.open(try GitRepository.open(at: path), options: .init(log: { messages.append($0) }))
        #expect(Self.rebuilt(index.refresh))
        #expect(messages.contains { $0.contains("no longer in the repository") }, "\(messages)")
    }

    @Test func readsCommitsNotTheWorkingTree() throws {
        let before = try expectCaughtUp(Self.rebuilt, "first build")
        try edit("inv-0000007") { $0["customer"] = ["id": "C00001", "name": "Uncommitted"] }
        try FileManager.default.removeItem(atPath: path + "/" + DocumentPaths.path(.invoice, id: "inv-0000008"))
        let after = try expectCaughtUp(Self.upToDate, "dirty working tree")
        #expect(before == after)
    }
}

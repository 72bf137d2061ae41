import Foundation
import Testing

/// SPEC §10 through the binary, with plain git as the witness: each customer's share holds
/// only that customer's documents, in every object of its history.
@Suite("Confidential shares", .serialized)
struct ShareTests {
    /// The seller's repository with three customers (C1 and C2 have buyers, C3 none), each with
    /// a sent invoice, and two shares.
    struct Shop {
        let f: Fixture
        var dir: TempDir { f.dir }
        let invoices: [String: String]     // customer → invoice id

        init() throws {
            f = try Fixture()
            var invoices: [String: String] = [:]
            for (customer, order) in [("C2", "O-2"), ("C3", "O-3")] {
                let file = f.dir.write("\(order).json", """
                    {"id": "\(order)", "customer": {"id": "\(customer)", "name": "Secret \(customer) Ltd"}, "currency": "USD",
                     "items": [{"ref": "1", "description": "Thing for \(customer)", "quantity": "1", "unitPrice": 1000, "taxRate": "0"}]}
                    """)
                try expectOK(f.folio(["order", "create", "--file", file]))
            }
            for (customer, order) in [("C1", "O-1"), ("C2", "O-2"), ("C3", "O-3")] {
                let id = try #require(f.json(["invoice", "create", "--order", order])["id"] as? String)
                try expectOK(f.folio(["invoice", "send", id]))
                invoices[customer] = id
            }
            self.invoices = invoices
            for customer in ["C1", "C2"] {
                #expect(try Tool.git(["init", "-q", "--bare", "-b", "main", f.dir.file("share-\(customer).git")], cwd: f.dir.path).code == 0)
                try expectOK(f.folio(["share", "add", customer, f.dir.file("share-\(customer).git")]))
            }
        }

        func shareHead(_ customer: String) throws -> String {
            try Tool.git(["rev-parse", "main"], cwd: f.dir.file("share-\(customer).git")).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Every object reachable in a share, as plain git lists them, and their contents.
        func everything(in customer: String) throws -> (objects: Int, text: String) {
            let bare = f.dir.file("share-\(customer).git")
            let objects = try Tool.git(["rev-list", "--objects", "--all"], cwd: bare).stdout.split(separator: "\n").map { String($0.prefix(40)) }
            var text = ""
            for id in objects {
                let type = try Tool.git(["cat-file", "-t", id], cwd: bare).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                if type == "blob" || type == "commit" { text += try Tool.git(["cat-file", "-p", id], cwd: bare).stdout + "\n" }
            }
            return (objects.count, text)
        }
    }

    @Test("each share holds only its customer's documents and parties, in every object; a buyer clones it and sees its own invoices")
    func onlyTheCustomersObjects() throws {
        let shop = try Shop()
        try expectOK(shop.f.folio(["share", "publish"]))
        for (customer, others) in [("C1", ["C2", "C3"]), ("C2", ["C1", "C3"])] {
            let (count, text) = try shop.everything(in: customer)
            #expect(count > 5)
            #expect(text.contains(shop.invoices[customer]!), "\(customer)'s invoice is in its share")
            for other in others {
                #expect(!text.contains("\"\(other)\""), "no object of \(customer)'s share names customer \(other)")
                #expect(!text.contains(shop.invoices[other]!), "no object of \(customer)'s share holds \(other)'s invoice")
                #expect(!text.contains("Secret \(other)"))
            }
        }
        let (_, c1) = try shop.everything(in: "C1")
        #expect(c1.contains(Fixture.buyer) && !c1.contains(Fixture.otherBuyer), "parties: the sellers and C1's buyers only")
        #expect(!c1.contains("shares.json") && !c1.contains("share-C2"), "the list of shares is the seller's own")
        // A buyer works on a clone of its share, exactly as today.
        let buyer = shop.dir.file("bea")
        try expectOK(Tool.run(Tool.folioPath, ["--as", Fixture.buyer, "clone", shop.dir.file("share-C1.git"), buyer], cwd: shop.dir.path))
        let list = try Tool.run(Tool.folioPath, ["-C", buyer, "--as", Fixture.buyer, "list", "--json"], cwd: shop.dir.path)
        let rows = try #require((JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])?["data"] as? [[String: Any]], "\(list.stderr)")
        #expect(rows.compactMap { $0["id"] as? String } == [shop.invoices["C1"]!])
        #expect(try Tool.run(Tool.folioPath, ["-C", buyer, "validate"], cwd: shop.dir.path).code == 0)
    }

    @Test("the projection is deterministic: another seller replica, and a rebuild from scratch, give the same share commits")
    func deterministic() throws {
        let shop = try Shop()
        try expectOK(shop.f.folio(["share", "publish"]))
        let published = try shop.shareHead("C1")
        let rebuild = try shop.f.folio(["share", "rebuild", "C1"])
        #expect(rebuild.code == 0 && rebuild.stdout.contains(published) && rebuild.stdout.contains("the same"), "\(rebuild.stdout)")
        // A second seller replica: a plain clone of the seller's repository, no cache.
        let other = shop.dir.file("desk")
        #expect(try Tool.git(["clone", "-q", shop.f.repo, other], cwd: shop.dir.path).code == 0)
        let there = try Tool.run(Tool.folioPath, ["-C", other, "--as", Fixture.seller, "share", "rebuild", "C1"], cwd: shop.dir.path)
        #expect(there.stdout.contains(published), "\(there.stdout) \(there.stderr)")
        // Publishing the same history from there changes nothing in the share.
        try expectOK(Tool.run(Tool.folioPath, ["-C", other, "--as", Fixture.seller, "share", "publish", "C1"], cwd: shop.dir.path))
        #expect(try shop.shareHead("C1") == published)
    }

    @Test("publishing costs what changed: a change of one customer's invoice moves that share only; a removed share is no longer published")
    func incremental() throws {
        let shop = try Shop()
        try expectOK(shop.f.folio(["share", "publish"]))
        let (c1, c2) = (try shop.shareHead("C1"), try shop.shareHead("C2"))
        try expectOK(shop.f.folio(["invoice", "pay", shop.invoices["C2"]!, "--amount", "1.00"]))
        try expectOK(shop.f.folio(["share", "publish"]))
        #expect(try shop.shareHead("C1") == c1, "C1's share did not move")
        #expect(try shop.shareHead("C2") != c2, "C2's share has the payment")
        let log = try Tool.git(["log", "-1", "--format=%s"], cwd: shop.dir.file("share-C2.git")).stdout
        #expect(log.contains("Record payment"), "a commit that only touched C2 keeps its message: \(log)")
        let list = try shop.f.folio(["share", "list"])
        #expect(list.stdout.contains("C1\t") && list.stdout.contains("published"), "\(list.stdout)")
        try expectOK(shop.f.folio(["share", "remove", "C2"]))
        try expectOK(shop.f.folio(["invoice", "pay", shop.invoices["C2"]!, "--amount", "1.00"]))
        let moved = try shop.shareHead("C2")
        try expectOK(shop.f.folio(["share", "publish"]))
        #expect(try shop.shareHead("C2") == moved, "nothing is published to a removed share")
        let buyerTries = try shop.f.folio(["share", "add", "C1", "/tmp/x"], as: Fixture.buyer)
        #expect(buyerTries.code == 1, "only a seller manages shares")
        try expectOK(shop.f.folio(["validate"], as: nil))
    }

    @Test("a seller with shares and no remote of its own: `folio sync` publishes the shares and exits 0; a remote it names must exist")
    func syncWithoutOrigin() throws {
        let shop = try Shop()
        #expect(try Tool.git(["remote"], cwd: shop.f.repo).stdout.isEmpty, "the fixture's seller has no remote")
        let sync = try shop.f.folio(["sync"])
        try expectOK(sync)
        #expect(sync.stderr.contains("no remote named \"origin\": syncing the shares only"), "\(sync.stderr)")
        #expect(try shop.shareHead("C1").count == 40 && (try shop.shareHead("C2")).count == 40)
        let named = try shop.f.folio(["sync", "upstream"])
        #expect(named.code == 2 && named.stderr.contains("no remote named \"upstream\""), "\(named.code) \(named.stderr)")
        // A buyer's clone without a remote is told so, as before: shares are the seller's.
        let buyer = try shop.f.folio(["sync"], as: Fixture.buyer)
        #expect(buyer.code == 2 && buyer.stderr.contains("no remote named \"origin\""), "\(buyer.code) \(buyer.stderr)")
    }
}

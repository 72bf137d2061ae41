import Foundation
import FolioModel
import Testing

/// SPEC §10 both ways, through the binary and real remotes, with signatures required: buyers
/// answer and pay on clones of their share, a seller's `folio sync` brings that back into the
/// seller's repository (signatures still verifiable), and plain git witnesses that no share
/// ever holds another customer's object.
@Suite("Shares both ways", .serialized)
struct ShareExchangeTests {
    /// Two seller replicas (Sam and Sue, each with a key) syncing through a bare origin, and
    /// customers whose buyer (each with a key) works on a clone of the customer's share.
    struct Market {
        let dir = TempDir("folio-shares")
        static let sellers = ["sam@seller.example", "sue@seller.example"]
        static let buyers = ["CUST-ANNA": "ann@anna.example", "CUST-BERT": "ben@bert.example", "CUST-CORA": "cid@cora.example"]
        let customers: [String]

        var origin: String { dir.file("origin.git") }
        func seller(_ i: Int) -> String { dir.file("seller-\(i)") }
        func share(_ customer: String) -> String { dir.file("share-\(customer).git") }
        func buyerClone(_ customer: String) -> String { dir.file("buyer-\(customer)") }
        func key(_ who: String) -> String { dir.file("keys/\(who)") }
        static func secret(_ customer: String) -> String { "Secret \(customer.dropFirst(5).capitalized) Ltd" }

        init(customers: [String]) throws {
            self.customers = customers
            try FileManager.default.createDirectory(atPath: dir.file("keys"), withIntermediateDirectories: true)
            for who in Self.sellers + customers.map({ Self.buyers[$0]! }) {
                let r = try Tool.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", who, "-f", key(who)])
                try #require(r.code == 0, "\(r.stderr)")
            }
            let (sam, sue) = (Self.sellers[0], Self.sellers[1])
            try expectOK(run(nil, sam, ["init", seller(0), "--company", "Market Co", "--currency", "EUR", "--seller", sam]))
            try expectOK(run(seller(0), sam, ["party", "add", sue, "--role", "seller", "--key", key(sue) + ".pub"]))
            for customer in customers {
                try expectOK(run(seller(0), sam, ["party", "add", Self.buyers[customer]!, "--role", "buyer", "--customer", customer, "--key", key(Self.buyers[customer]!) + ".pub"]))
                let order = dir.write("order-\(customer).json", """
                    {"id": "O-\(customer)", "customer": {"id": "\(customer)", "name": "\(Self.secret(customer))"}, "currency": "EUR",
                     "items": [{"ref": "1", "description": "Tea for \(customer)", "quantity": "50", "unitPrice": 400, "taxRate": "7"},
                               {"ref": "2", "description": "Cups for \(customer)", "quantity": "50", "unitPrice": 900, "taxRate": "19"}]}
                    """)
                try expectOK(run(seller(0), sam, ["order", "create", "--file", order]))
            }
            #expect(try Tool.git(["init", "-q", "--bare", "-b", "main", origin], cwd: dir.path).code == 0)
            #expect(try Tool.git(["remote", "add", "origin", origin], cwd: seller(0)).code == 0)
            for customer in customers {
                #expect(try Tool.git(["init", "-q", "--bare", "-b", "main", share(customer)], cwd: dir.path).code == 0)
                try expectOK(run(seller(0), sam, ["share", "add", customer, share(customer)]))
            }
            try expectOK(run(seller(0), sam, ["sync"]))
            try expectOK(run(nil, sue, ["clone", origin, seller(1)]))
            for customer in customers {
                try expectOK(run(nil, Self.buyers[customer]!, ["clone", share(customer), buyerClone(customer)]))
            }
        }

        /// `folio` as `who`, signing with `who`'s key, in `folder` (nil: in the market's folder).
        @discardableResult
        func run(_ folder: String?, _ who: String, _ args: [String]) throws -> RunResult {
            try Tool.run(Tool.folioPath, (folder.map { ["-C", $0] } ?? []) + ["--as", who] + args, cwd: dir.path, env: ["FOLIO_SIGNING_KEY": key(who)])
        }

        func json(_ folder: String, _ who: String, _ args: [String]) throws -> [String: Any] {
            let r = try run(folder, who, args + ["--json"])
            try #require(r.code == 0, "\(args): \(r.stderr)")
            return try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        }

        /// Sam or Sue makes an invoice of one unit of an item and sends it.
        func sendInvoice(seller i: Int, customer: String, item: Int = 1) throws -> String {
            let id = try #require(json(seller(i), Self.sellers[i], ["invoice", "create", "--order", "O-\(customer)", "--items", "\(item):1"])["id"] as? String)
            try expectOK(run(seller(i), Self.sellers[i], ["invoice", "send", id]))
            return id
        }

        func invoice(_ id: String, in folder: String, as who: String) throws -> [String: Any] { try json(folder, who, ["invoice", "show", id]) }

        func rev(_ folder: String, _ spec: String = "HEAD") throws -> String {
            try Tool.git(["rev-parse", spec], cwd: folder).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Every object reachable in a share, as plain git lists them, with the text of its
        /// blobs and commits.
        func everything(in customer: String) throws -> String {
            let bare = share(customer)
            let objects = try Tool.git(["rev-list", "--objects", "--all"], cwd: bare).stdout.split(separator: "\n").map { String($0.prefix(40)) }
            var text = ""
            for id in objects {
                let type = try Tool.git(["cat-file", "-t", id], cwd: bare).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                if type == "blob" || type == "commit" { text += try Tool.git(["cat-file", "-p", id], cwd: bare).stdout + "\n" }
            }
            return text
        }

        /// Plain git's verdict: no object of the customer's share names another customer, that
        /// customer's secret name, or that customer's buyer.
        func expectPrivate(_ customer: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let text = try everything(in: customer)
            #expect(text.contains(customer), "the share holds its customer's documents", sourceLocation: sourceLocation)
            for other in Self.buyers.keys where other != customer {
                #expect(!text.contains(other) && !text.contains(Self.secret(other)) && !text.contains(Self.buyers[other]!),
                        "share of \(customer) holds something of \(other)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("a buyer's answer and payment on its share come back to both seller replicas, signed, and the share only fast-forwards")
    func answersComeBack() throws {
        let m = try Market(customers: ["CUST-ANNA", "CUST-BERT"])
        let (sam, sue) = (Market.sellers[0], Market.sellers[1])
        let (ann, ben) = (Market.buyers["CUST-ANNA"]!, Market.buyers["CUST-BERT"]!)
        let root = try m.rev(m.seller(0), "HEAD")
        let anna = try m.sendInvoice(seller: 0, customer: "CUST-ANNA")
        let bert = try m.sendInvoice(seller: 0, customer: "CUST-BERT")
        try expectOK(m.run(m.seller(0), sam, ["sync"]))
        // Ann accepts and pays, Ben declines, each on its own share.
        try expectOK(m.run(m.buyerClone("CUST-ANNA"), ann, ["sync"]))
        try expectOK(m.run(m.buyerClone("CUST-ANNA"), ann, ["invoice", "accept", anna]))
        try expectOK(m.run(m.buyerClone("CUST-ANNA"), ann, ["invoice", "pay", anna, "--amount", "1.50"]))
        try expectOK(m.run(m.buyerClone("CUST-ANNA"), ann, ["sync"]))
        try expectOK(m.run(m.buyerClone("CUST-BERT"), ben, ["sync"]))
        #expect(try m.run(m.buyerClone("CUST-BERT"), ben, ["invoice", "decline", anna, "--reason", "x"]).code == 1, "Ben's clone does not hold Anna's invoice")
        try expectOK(m.run(m.buyerClone("CUST-BERT"), ben, ["invoice", "decline", bert, "--reason", "wrong cups"]))
        try expectOK(m.run(m.buyerClone("CUST-BERT"), ben, ["sync"]))
        let annTip = try m.rev(m.share("CUST-ANNA"), "main")

        // Sue, on the other replica, brings both back and publishes.
        let sync = try m.run(m.seller(1), sue, ["sync"])
        #expect(sync.code == 0, "\(sync.stderr)")
        #expect(sync.stderr.contains("share of CUST-ANNA: brought back 2 buyer commit(s)"), "\(sync.stderr)")
        #expect(sync.stderr.contains("share of CUST-BERT: brought back 1 buyer commit(s)"), "\(sync.stderr)")
        #expect(try m.rev(m.share("CUST-ANNA"), "main") == annTip, "the share fast-forwards to what the buyer pushed: no new share commit")
        let subjects = try Tool.git(["log", "--format=%s%n%b", "-4"], cwd: m.seller(1)).stdout
        #expect(subjects.contains("Folio-Share-Import: CUST-ANNA \(annTip)"), "\(subjects)")

        // Sam receives Sue's commits through the origin: the same shares, nothing to publish.
        let shareHeads = try m.customers.map { try m.rev(m.share($0), "main") }
        let samSync = try m.run(m.seller(0), sam, ["sync"])
        #expect(samSync.code == 0 && samSync.stderr.contains("0 share(s) published, 2 already up to date"), "\(samSync.stderr)")
        #expect(try m.customers.map { try m.rev(m.share($0), "main") } == shareHeads, "two replicas project the same share commits")
        for customer in m.customers {
            let rebuild = try m.run(m.seller(0), sam, ["share", "rebuild", customer])
            let head = try m.rev(m.share(customer), "main")
            #expect(rebuild.code == 0 && rebuild.stdout.contains(head), "\(rebuild.stdout)")
            try m.expectPrivate(customer)
        }

        let annaThere = try m.invoice(anna, in: m.seller(0), as: sam)
        #expect(annaThere["status"] as? String == "accepted")
        let payments = try #require(annaThere["payments"] as? [[String: Any]])
        #expect(payments.count == 1 && payments[0]["by"] as? String == ann && payments[0]["signature"] != nil)
        #expect(try m.invoice(bert, in: m.seller(0), as: sam)["status"] as? String == "declined")
        let log = try m.run(m.seller(0), sam, ["invoice", "log", anna]).stdout
        #expect(log.contains("answer accepted of revision 1 by \(ann): signed by \(ann), verified"), "\(log)")
        #expect(log.contains("by \(ann): signed by \(ann), verified"), "\(log)")
        // Every commit since the start passes the history checks, the import commits included,
        // and plain git verifies the seller's signature on them.
        let history = try m.run(m.seller(0), sam, ["validate", "--since", root])
        #expect(history.code == 0, "\(history.stdout)\(history.stderr)")
        let imports = try Tool.git(["log", "--format=%H", "--grep", "Folio-Share-Import"], cwd: m.seller(0)).stdout.split(separator: "\n")
        #expect(imports.count == 2)
        for commit in imports {
            let verify = try Tool.git(["-c", "gpg.ssh.allowedSignersFile=" + m.seller(0) + "/.git/folio/allowed_signers", "verify-commit", String(commit)], cwd: m.seller(0))
            #expect(verify.code == 0, "\(verify.stderr)")
        }
        // The buyers get nothing new back: their own commits are already the share's history.
        let again = try m.run(m.buyerClone("CUST-ANNA"), ann, ["sync"])
        #expect(again.code == 0 && again.stdout.contains("already up to date"), "\(again.stdout)")
    }

    @Test("a buyer pushing another customer's invoice, or a seller's setting, into its share is refused at the seller's sync, with a finding")
    func forgedPushesAreRefused() throws {
        let m = try Market(customers: ["CUST-ANNA", "CUST-BERT"])
        let sam = Market.sellers[0], ann = Market.buyers["CUST-ANNA"]!
        let bert = try m.sendInvoice(seller: 0, customer: "CUST-BERT")
        _ = try m.sendInvoice(seller: 0, customer: "CUST-ANNA")
        try expectOK(m.run(m.seller(0), sam, ["sync"]))
        let clone = m.buyerClone("CUST-ANNA")
        try expectOK(m.run(clone, ann, ["sync"]))
        let bertPath = try #require(Tool.git(["ls-files", "invoices"], cwd: m.seller(0)).stdout.split(separator: "\n").map(String.init)
            .first { (try? String(contentsOfFile: m.seller(0) + "/" + $0, encoding: .utf8))?.contains(bert) == true })
        /// Ann commits with plain git, signed with her own key, and pushes to her share.
        func annPushes(_ change: () throws -> Void, _ what: String) throws {
            try change()
            let git = ["-c", "user.email=\(ann)", "-c", "user.name=Ann", "-c", "gpg.format=ssh", "-c", "user.signingkey=\(m.key(ann))"]
            #expect(try Tool.git(git + ["add", "-A"], cwd: clone).code == 0)
            let commit = try Tool.git(git + ["commit", "-q", "-S", "-m", what], cwd: clone)
            #expect(commit.code == 0, "\(commit.stderr)")
            #expect(try Tool.git(["push", "-q", "origin", "main"], cwd: clone).code == 0)
        }
        for (change, rule) in [({
            // Bert's invoice, which Ann should never have had, pushed into Anna's share.
            let data = try Data(contentsOf: URL(fileURLWithPath: m.seller(0) + "/" + bertPath))
            try FileManager.default.createDirectory(atPath: (clone + "/" + bertPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: clone + "/" + bertPath))
        }, "history/buyer-content"), ({
            let config = clone + "/.folio/config.json"
            let text = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "\"dueDays\": 30", with: "\"dueDays\": 90")
            try text.write(toFile: config, atomically: true, encoding: .utf8)
        }, "history/buyer-files")] as [(() throws -> Void, String)] {
            try annPushes(change, rule)
            let before = try m.rev(m.seller(0))
            let sync = try m.run(m.seller(0), sam, ["sync"])
            #expect(sync.code == 1, "the refusal is the sync's verdict: \(sync.stderr)")
            #expect(sync.stderr.contains("share of CUST-ANNA") && sync.stderr.contains("error[\(rule)]"), "\(sync.stderr)")
            #expect(try m.rev(m.seller(0)) == before, "nothing was brought back")
            #expect(try Tool.git(["log", "--format=%s", "--grep", "Bring back"], cwd: m.seller(0)).stdout.isEmpty)
            // The seller puts the share right: its history becomes the projection again.
            let force = try m.run(m.seller(0), sam, ["share", "publish", "--force", "CUST-ANNA"])
            #expect(force.code == 0, "\(force.stderr)")
            let rebuild = try m.run(m.seller(0), sam, ["share", "rebuild", "CUST-ANNA"])
            let head = try m.rev(m.share("CUST-ANNA"), "main")
            #expect(rebuild.stdout.contains(head), "\(rebuild.stdout)")
            try m.expectPrivate("CUST-BERT")
            try expectOK(m.run(m.seller(0), sam, ["sync"]))
            // Ann starts again from her share.
            try FileManager.default.removeItem(atPath: clone)
            try expectOK(m.run(nil, ann, ["clone", m.share("CUST-ANNA"), clone]))
        }
        #expect(!(try m.everything(in: "CUST-ANNA")).contains(bert), "after the forced publish, nothing in Anna's share reaches Bert's invoice")
    }

    static let seeds: [UInt64] = {
        var s: [UInt64] = [1, 101, 103]
        if let extra = ProcessInfo.processInfo.environment["FOLIO_SOAK"].flatMap(Int.init) { s += (0..<UInt64(extra)).map { 100 + $0 } }
        return s
    }()

    /// Two seller replicas, three customers, random work and random syncs: in the end every
    /// replica and every share agrees, nothing anyone did is lost, every buyer's answer reached
    /// the sellers with its signature, and no share ever held another customer's object.
    @Test("random work on two seller replicas and three shares converges, loses nothing and leaks nothing", arguments: ShareExchangeTests.seeds)
    func randomMarket(seed: UInt64) throws {
        var rng = SplitMix64(state: seed)
        let customers = ["CUST-ANNA", "CUST-BERT", "CUST-CORA"]
        let m = try Market(customers: customers)
        let root = try m.rev(m.seller(0))
        var invoices: [String] = []
        var answers: [(invoice: String, event: String)] = []
        var payments: [(invoice: String, payment: String)] = []
        var trace: [String] = []

        func rows(_ folder: String, _ who: String) throws -> [[String: Any]] {
            try #require(json(folder, who, ["list"])["data"] as? [[String: Any]])
        }
        func json(_ folder: String, _ who: String, _ args: [String]) throws -> [String: Any] { try m.json(folder, who, args) }
        func pick(_ rows: [[String: Any]], status: String) -> String? {
            let ids = rows.filter { $0["status"] as? String == status }.compactMap { $0["id"] as? String }
            return ids.isEmpty ? nil : ids[rng.int(ids.count)]
        }
        func newest(_ invoice: [String: Any], _ key: String, by who: String) -> String? {
            (invoice[key] as? [[String: Any]])?.filter { $0["by"] as? String == who }.last?["id"] as? String
        }

        for _ in 0..<40 {
            let r = rng.int(2), seller = Market.sellers[r], customer = customers[rng.int(3)], buyer = Market.buyers[customer]!
            let clone = m.buyerClone(customer)
            switch rng.int(10) {
            case 0, 1:
                invoices.append(try m.sendInvoice(seller: r, customer: customer, item: 1 + rng.int(2)))
                trace.append("\(seller) sends to \(customer)")
            case 2, 3:
                let sync = try m.run(m.seller(r), seller, ["sync"])
                #expect(sync.code == 0, "seed \(seed): \(seller) sync: \(sync.stderr)")
                trace.append("\(seller) syncs")
            case 4:
                try expectOK(m.run(clone, buyer, ["sync"]))
                trace.append("\(buyer) syncs")
            case 5, 6, 7:
                // Buyers mostly look at what is new before they answer.
                if rng.chance(60) { try expectOK(m.run(clone, buyer, ["sync"])) }
                guard let id = pick(try rows(clone, buyer), status: "pending_approval") else { continue }
                let verb = ["accept", "accept", "decline", "request-changes"][rng.int(4)]
                let args = verb == "accept" ? [] : verb == "decline" ? ["--reason", "no"] : ["--note", "less tea"]
                let answered = try json(clone, buyer, ["invoice", verb, id] + args)
                answers.append((id, try #require(newest(answered, "events", by: buyer))))
                trace.append("\(buyer) \(verb)s \(id)")
            case 8, 9:
                let (folder, who) = rng.chance(50) ? (clone, buyer) : (m.seller(r), seller)
                guard let id = pick(try rows(folder, who), status: "accepted") else {
                    // Nothing accepted yet: a seller answers a change request with a new revision.
                    guard let id = pick(try rows(m.seller(r), seller), status: "changes_requested") else { continue }
                    try expectOK(m.run(m.seller(r), seller, ["invoice", "send", id]))
                    trace.append("\(seller) sends \(id) again")
                    continue
                }
                let paid = try json(folder, who, ["invoice", "pay", id, "--amount", "0.01"])
                payments.append((id, try #require(newest(paid, "payments", by: who))))
                trace.append("\(who) pays \(id)")
            default: break
            }
        }
        // Everyone syncs until nothing moves: buyers, then both sellers, twice, then Sam takes
        // Sue's last commits and the buyers take the last publication.
        for _ in 0..<2 {
            for customer in customers { try expectOK(m.run(m.buyerClone(customer), Market.buyers[customer]!, ["sync"])) }
            for r in [0, 1] { try expectOK(m.run(m.seller(r), Market.sellers[r], ["sync"])) }
        }
        try expectOK(m.run(m.seller(0), Market.sellers[0], ["sync"]))
        for customer in customers { try expectOK(m.run(m.buyerClone(customer), Market.buyers[customer]!, ["sync"])) }
        let story = "seed \(seed): " + trace.joined(separator: "; ")
        if ProcessInfo.processInfo.environment["FOLIO_TRACE"] != nil { print("\(story)\n  \(answers.count) answer(s), \(payments.count) payment(s)") }

        #expect(try m.rev(m.seller(0)) == m.rev(m.seller(1)), "the seller replicas converge. \(story)")
        for customer in customers {
            #expect(try m.rev(m.buyerClone(customer)) == m.rev(m.share(customer), "main"), "\(customer)'s buyer has the share. \(story)")
            let rebuild = try m.run(m.seller(1), Market.sellers[1], ["share", "rebuild", customer])
            let head = try m.rev(m.share(customer), "main")
            #expect(rebuild.code == 0 && rebuild.stdout.contains(head), "the share is the projection of the seller's history. \(rebuild.stdout) \(story)")
            try m.expectPrivate(customer)
            let validate = try m.run(m.buyerClone(customer), Market.buyers[customer]!, ["validate"])
            #expect(validate.code == 0, "\(validate.stdout) \(story)")
        }
        let sam = Market.sellers[0]
        let held = try Dictionary(uniqueKeysWithValues: rows(m.seller(0), sam).map { ($0["id"] as! String, $0) })
        for id in invoices { #expect(held[id] != nil, "invoice \(id) is kept. \(story)") }
        var shown: [String: [String: Any]] = [:]
        func invoice(_ id: String) throws -> [String: Any] {
            if let known = shown[id] { return known }
            shown[id] = try m.invoice(id, in: m.seller(0), as: sam)
            return shown[id]!
        }
        for (id, event) in answers {
            let events = try invoice(id)["events"] as? [[String: Any]] ?? []
            let kept = events.first { $0["id"] as? String == event }
            #expect(kept?["signature"] != nil, "the buyer's answer \(event) on \(id) reached the sellers, signed. \(story)")
        }
        for (id, payment) in payments {
            let kept = (try invoice(id)["payments"] as? [[String: Any]] ?? []).contains { $0["id"] as? String == payment }
            #expect(kept, "payment \(payment) on \(id) is kept. \(story)")
        }
        // The whole history passes the checks of SPEC §9 (every imported answer and payment
        // verified against its buyer's key), and the state is valid.
        let history = try m.run(m.seller(0), sam, ["validate", "--since", root])
        #expect(history.code == 0, "\(history.stdout) \(story)")
        let state = try m.run(m.seller(0), sam, ["validate"])
        #expect(state.code == 0, "\(state.stdout) \(story)")
    }
}

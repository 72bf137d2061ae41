import Foundation
import Testing

/// Issue 10's defects that a bookkeeper meets, each through the binary: money that is never
/// negative, writes that never commit what validate rejects, dates, numbers as ids, causal
/// event order, and a buyer's view.
@Suite("Books a bookkeeper can trust")
struct BookkeepingTests {
    static func count(_ f: Fixture) throws -> String { try f.head() }

    /// Sets one field of the first line of an invoice file by hand and commits it with plain
    /// git, as someone who bypasses Folio would.
    static func commitHandEdit(_ f: Fixture, file: String, firstLine key: String, to value: Any) throws {
        let path = f.repo + "/" + file
        var json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        var lines = try #require(json["lines"] as? [[String: Any]])
        lines[0][key] = value
        json["lines"] = lines
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        #expect(try Tool.git(["commit", "-qam", "hand edit"], cwd: f.repo).code == 0)
    }

    @Test("a discount larger than its line, or quantity 0 with a discount, is refused naming the line; nothing written")
    func negativeMoney() throws {
        let f = try Fixture()
        let id = try f.draft()
        let head = try f.head()
        let big = try f.folio(["invoice", "update", id, "--set", "/lines/0/discount=500000"])
        #expect(big.code == 1)
        #expect(big.stderr.contains("/lines/0/discount") && big.stderr.contains("money/negative") && big.stderr.contains("l-1"), "\(big.stderr)")
        let zero = try f.folio(["invoice", "update", id, "--set", #"/lines/1/quantity="0""#, "--set", "/lines/1/discount=100"])
        #expect(zero.code == 1 && zero.stderr.contains("/lines/1/discount"), "\(zero.stderr)")
        #expect(try f.head() == head, "nothing was committed")
        #expect(try f.status().isEmpty)
        // A discount up to the line's amount is fine.
        try expectOK(f.folio(["invoice", "update", id, "--set", "/lines/0/discount=5997"]))
    }

    @Test("lowering a line's quantity leaves the rest of its order item open; it is invoiced or cancelled later, in quantity (defect 8)")
    func itemsByQuantity() throws {
        let f = try Fixture()
        let id = try f.draft(items: "1")                                  // Shirt, quantity 3
        try expectOK(f.folio(["invoice", "update", id, "--set", #"/lines/0/quantity="1""#]))
        let shown = try f.folio(["order", "show", "O-1"])
        #expect(shown.stdout.contains("open (2 left; invoiced 1 by \(id))"), "\(shown.stdout)")
        let order = try f.json(["order", "show", "O-1"])
        let items = try #require(order["items"] as? [[String: Any]])
        #expect(items[0]["status"] as? String == "open")
        #expect((items[0]["invoicedParts"] as? [[String: Any]])?.first?["quantity"] as? String == "1")
        try expectOK(f.folio(["validate"]))
        // The rest: more than is left is refused, the rest is taken by a second invoice.
        let tooMuch = try f.folio(["invoice", "create", "--order", "O-1", "--items", "1:3"])
        #expect(tooMuch.code == 1 && tooMuch.stderr.contains("has 2 of 3 left"), "\(tooMuch.stderr)")
        let second = try f.draft(items: "1")
        let lines = try #require(f.json(["invoice", "show", second])["lines"] as? [[String: Any]])
        #expect(lines.first?["quantity"] as? String == "2")
        let after = try #require(f.json(["order", "show", "O-1"])["items"] as? [[String: Any]])
        #expect(after[0]["status"] as? String == "invoiced")
        // Raising the first invoice's line past what is left is refused; nothing written.
        let head = try f.head()
        let raise = try f.folio(["invoice", "update", id, "--set", #"/lines/0/quantity="2""#])
        #expect(raise.code == 1 && raise.stderr.contains("/lines/0/quantity"), "\(raise.stderr)")
        #expect(try f.head() == head)
        // Part of the coat is cancelled after a part is invoiced: the item ends cancelled.
        _ = try f.draft(items: "3:1")
        try expectOK(f.folio(["order", "cancel-item", "O-1", "3"]))
        #expect(try f.folio(["order", "show", "O-1"]).stdout.contains("cancelled (rest cancelled; invoiced 1 by"))
        try expectOK(f.folio(["validate"]))
    }

    @Test("validate finds an item marked invoiced whole by an invoice that bills less of it")
    func validateFindsUnbilledRest() throws {
        let f = try Fixture()
        _ = try f.draft(items: "1")
        let file = try #require(Tool.git(["ls-files", "invoices"], cwd: f.repo).stdout.split(separator: "\n").first.map(String.init))
        try Self.commitHandEdit(f, file: file, firstLine: "quantity", to: "1")
        let r = try f.folio(["validate"])
        #expect(r.code == 1)
        #expect(r.stdout.contains("error[order/item-quantity]"), "\(r.stdout)")
    }

    @Test("validate rejects a negative line committed by hand, without --strict")
    func validateFindsNegativeMoney() throws {
        let f = try Fixture()
        let id = try f.draft()
        let file = try #require(Tool.git(["ls-files", "invoices"], cwd: f.repo).stdout.split(separator: "\n").first.map(String.init))
        try Self.commitHandEdit(f, file: file, firstLine: "discount", to: 999_999)
        let r = try f.folio(["validate"])
        #expect(r.code == 1)
        #expect(r.stdout.contains("\(file)#/lines/0/discount: error[money/negative]"), "\(r.stdout)")
        _ = id
    }

    @Test("a write never commits what validate rejects: a 201-character reference, a 100 KB method")
    func writesPassValidation() throws {
        let f = try Fixture()
        let id = try f.draft()
        try expectOK(f.folio(["invoice", "send", id]))
        let head = try f.head()
        let long = try f.folio(["invoice", "pay", id, "--amount", "1.00", "--reference", String(repeating: "r", count: 201)])
        #expect(long.code == 1 && long.stderr.contains("/reference") && long.stderr.contains("schema/length"), "\(long.stderr)")
        let huge = try f.folio(["invoice", "pay", id, "--amount", "1.00", "--method", String(repeating: "m", count: 100_000)])
        #expect(huge.code == 1 && huge.stderr.contains("/method"), "\(huge.stderr)")
        #expect(try f.head() == head)
        try expectOK(f.folio(["invoice", "pay", id, "--amount", "1.00", "--reference", String(repeating: "r", count: 200)]))
        try expectOK(f.folio(["validate"]))
    }

    @Test("the issue date is the day of the first send; a default due date moves with it, a chosen one stays")
    func issueDateOnSend() throws {
        let f = try Fixture()
        let created = ["FOLIO_NOW": "2026-01-05T09:00:00Z"], sent = ["FOLIO_NOW": "2026-02-20T09:00:00Z"]
        func create(_ args: [String]) throws -> String {
            let r = try f.folio(["invoice", "create", "--order", "O-1", "--json"] + args, env: created)
            let doc = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
            #expect(doc["issueDate"] as? String == "2026-01-05")
            return try #require(doc["id"] as? String)
        }
        let a = try create(["--items", "1"])
        let b = try create(["--items", "2", "--due-date", "2026-06-30"])
        try expectOK(f.folio(["invoice", "send", a], env: sent))
        try expectOK(f.folio(["invoice", "send", b], env: sent))
        let sa = try f.json(["invoice", "show", a]), sb = try f.json(["invoice", "show", b])
        #expect(sa["issueDate"] as? String == "2026-02-20")
        #expect(sa["dueDate"] as? String == "2026-03-22", "issue date + 30 days")
        #expect(sb["issueDate"] as? String == "2026-02-20")
        #expect(sb["dueDate"] as? String == "2026-06-30", "the chosen due date stays")
        // Not overdue the day it is sent.
        let overdue = try f.folio(["list", "--overdue", "--json"], env: sent)
        #expect(!overdue.stdout.contains(a), "\(overdue.stdout)")
    }

    @Test("every command that takes an invoice id also takes its number")
    func numbersAsIDs() throws {
        let f = try Fixture()
        let id = try f.draft()
        let sent = try f.json(["invoice", "send", id])
        let number = try #require(sent["number"] as? String)
        #expect(try f.json(["invoice", "show", number])["id"] as? String == id)
        try expectOK(f.folio(["invoice", "accept", number], as: Fixture.buyer))
        try expectOK(f.folio(["invoice", "pay", number, "--amount", "1.00"]))
        let log = try f.folio(["invoice", "log", number])
        #expect(log.code == 0 && log.stdout.contains("Record payment"), "\(log.stdout)")
        let missing = try f.folio(["invoice", "show", "ZZ-00009"])
        #expect(missing.code == 1 && missing.stderr.contains("ZZ-00009"), "\(missing.stderr)")
    }

    @Test("events in the same second keep their causal order")
    func sameSecondEvents() throws {
        let f = try Fixture()
        let id = try f.draft()
        let now = ["FOLIO_NOW": "2026-03-01T10:00:00Z"]
        try expectOK(f.folio(["invoice", "send", id], env: now))
        try expectOK(f.folio(["invoice", "request-changes", id, "--note", "fewer"], as: Fixture.buyer, env: now))
        try expectOK(f.folio(["invoice", "send", id], env: now))
        // A clock running behind does not put an answer before what it answers.
        try expectOK(f.folio(["invoice", "request-changes", id, "--note", "still"], as: Fixture.buyer, env: ["FOLIO_NOW": "2026-03-01T09:59:00Z"]))
        let events = try #require(f.json(["invoice", "show", id])["events"] as? [[String: Any]])
        let story = events.map { "\($0["type"] as? String ?? "?") r\($0["revision"] as? Int ?? 0)" }
        #expect(story == ["sent r1", "changes_requested r1", "sent r2", "changes_requested r2"], "\(story)")
        try expectOK(f.folio(["validate"]))
    }

    @Test("a buyer sees no other customer's order (order show answers as if it did not exist)")
    func buyerSideDoors() throws {
        let f = try Fixture()
        let other = f.dir.write("order2.json", """
            {"id": "O-2", "customer": {"id": "C2", "name": "Otto"}, "currency": "USD",
             "items": [{"ref": "1", "description": "Hat", "quantity": "1", "unitPrice": 500, "taxRate": "0"}]}
            """)
        try expectOK(f.folio(["order", "create", "--file", other]))
        let own = try f.folio(["order", "show", "O-1"], as: Fixture.buyer)
        #expect(own.code == 0)
        let foreign = try f.folio(["order", "show", "O-2"], as: Fixture.buyer)
        #expect(foreign.code == 1 && !foreign.stdout.contains("Hat") && foreign.stderr.contains("no order"), "\(foreign.stdout) \(foreign.stderr)")
        #expect(try f.folio(["order", "show", "O-2"], as: Fixture.otherBuyer).code == 0)
    }

    @Test("credit notes: owed to the buyer, settled by a refund, never overdue, never a payment; a line credited in part; final invoices never voided")
    func creditNotes() throws {
        let f = try Fixture()
        let id = try f.draft()
        try expectOK(f.folio(["invoice", "send", id]))
        try expectOK(f.folio(["invoice", "accept", id], as: Fixture.buyer))
        // Line l-1 is 3 shirts: credit one, then two more; a fourth is refused.
        let note = try f.json(["invoice", "credit", id, "--lines", "l-1:1", "--reason", "one shirt torn"])
        let cn = try #require(note["id"] as? String)
        #expect((note["lines"] as? [[String: Any]])?.first?["quantity"] as? String == "1")
        try expectOK(f.folio(["invoice", "credit", id, "--lines", "l-1:2"]))
        let over = try f.folio(["invoice", "credit", id, "--lines", "l-1:1"])
        #expect(over.code == 1 && over.stderr.contains("already credited in full"), "\(over.stderr)")
        // A payment on a credit note is refused; a refund settles it.
        let pay = try f.folio(["invoice", "pay", cn, "--amount", "1.00"])
        #expect(pay.code == 1 && pay.stderr.contains("owed to the buyer"), "\(pay.stderr)")
        let buyerRefund = try f.folio(["invoice", "refund", cn, "--amount", "1.00"], as: Fixture.buyer)
        #expect(buyerRefund.code == 1, "only a seller records a refund")
        // Never overdue, whatever the date.
        let later = ["FOLIO_NOW": "2030-01-01T00:00:00Z"]
        let overdue = try f.folio(["list", "--overdue", "--json"], env: later)
        #expect(overdue.code == 0 && !overdue.stdout.contains(cn), "\(overdue.stdout)")
        let scan = try f.folio(["list", "--overdue", "--json", "--no-index"], env: later)
        #expect(!scan.stdout.contains(cn))
        let total = try #require((note["totals"] as? [String: Any])?["total"] as? Int)
        let refunded = try f.json(["invoice", "refund", cn, "--amount", String(format: "%d.%02d", total / 100, total % 100)])
        #expect(refunded["paymentStatus"] as? String == "paid")
        #expect((refunded["payments"] as? [[String: Any]])?.first?["method"] as? String == "refund")
        try expectOK(f.folio(["validate"]))
    }

    @Test("an issued invoice is final: never voided, so its order items never reopen")
    func issuedIsFinal() throws {
        let dir = TempDir()
        let repo = dir.file("repo")
        func folio(_ args: [String]) throws -> RunResult {
            try Tool.run(Tool.folioPath, ["-C", repo, "--as", Fixture.seller] + args, cwd: dir.path)
        }
        try expectOK(Tool.run(Tool.folioPath, ["--as", Fixture.seller, "init", repo, "--company", "Co", "--currency", "USD", "--no-require-approval", "--unsigned"], cwd: dir.path))
        let order = dir.write("o.json", """
            {"id": "O-1", "customer": {"id": "C1"}, "items": [{"ref": "1", "description": "Hat", "quantity": "1", "unitPrice": 500, "taxRate": "0"}]}
            """)
        try expectOK(folio(["order", "create", "--file", order]))
        try expectOK(folio(["invoice", "create", "--order", "O-1", "--id", "inv-1"]))
        try expectOK(folio(["invoice", "send", "inv-1"]))
        try expectOK(folio(["invoice", "credit", "inv-1", "--reason", "cancelled order"]))
        let void = try folio(["invoice", "void", "inv-1"])
        #expect(void.code == 1 && void.stderr.contains("never voided"), "\(void.stderr)")
        let shown = try folio(["order", "show", "O-1", "--json"])
        #expect(shown.stdout.contains("\"status\": \"invoiced\""), "the item stays invoiced: \(shown.stdout)")
        let again = try folio(["invoice", "create", "--order", "O-1"])
        #expect(again.code == 1, "the goods are not billed twice")
        try expectOK(folio(["validate"]))
    }
}

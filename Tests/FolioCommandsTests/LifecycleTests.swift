import Foundation
import Testing

@Suite("Invoice lifecycle through the folio binary, with plain git as the witness")
struct LifecycleTests {
    @Test("the whole seller/buyer story leaves one commit per action, right authors, clean fsck and status")
    func wholeStory() throws {
        let f = try Fixture()
        let id = try f.draft(items: "2,1")
        var inv = try f.json(["invoice", "show", id])
        let lines = try #require(inv["lines"] as? [[String: Any]])
        #expect(lines.map { $0["orderItemRef"] as? String } == ["1", "2"], "lines keep the order of the order items")
        #expect(inv["status"] as? String == "draft")
        #expect(inv["number"] == nil)
        // 3 × 19.99 = 59.97, tax 10% = 6.00 (5.997 rounds half away); 150.00 + 7.5% = 11.25
        let totals = try #require(inv["totals"] as? [String: Any])
        #expect(totals["subtotal"] as? Int == 20997)
        #expect(totals["tax"] as? Int == 600 + 1125)
        #expect(totals["total"] as? Int == 20997 + 1725)

        inv = try f.json(["invoice", "send", id])
        #expect(inv["status"] as? String == "pending_approval")
        let number = try #require(inv["number"] as? String)
        #expect(number.hasSuffix("-00001"))

        inv = try f.json(["invoice", "request-changes", id, "--note", "Coat should be 0.5"], as: Fixture.buyer)
        #expect(inv["status"] as? String == "changes_requested")
        inv = try f.json(["invoice", "update", id, "--set", "/lines/1/quantity=\"0.5\"", "--set", "/note=Half a coat"])
        #expect(inv["status"] as? String == "changes_requested")
        #expect(inv["revision"] as? Int == 2)
        inv = try f.json(["invoice", "send", id])
        #expect(inv["status"] as? String == "pending_approval")
        #expect(inv["number"] as? String == number, "a revision keeps its number")
        inv = try f.json(["invoice", "accept", id], as: Fixture.buyer)
        #expect(inv["status"] as? String == "accepted")
        let total = try #require((inv["totals"] as? [String: Any])?["total"] as? Int)
        inv = try f.json(["invoice", "pay", id, "--amount", "50.00", "--reference", "TRX-1"])
        #expect(inv["paymentStatus"] as? String == "partially_paid")
        let rest = String(format: "%d.%02d", (total - 5000) / 100, (total - 5000) % 100)
        inv = try f.json(["invoice", "pay", id, "--amount", rest])
        #expect(inv["paymentStatus"] as? String == "paid")
        #expect((inv["totals"] as? [String: Any])?["open"] as? Int == 0)
        let credit = try f.json(["invoice", "credit", id, "--lines", "l-1", "--reason", "returned"])
        #expect(credit["type"] as? String == "credit_note")
        #expect(credit["creditNoteFor"] as? String == id)
        #expect(credit["number"] as? String != number)

        let fsck = try Tool.git(["fsck", "--strict"], cwd: f.repo)
        #expect(fsck.code == 0, "git fsck: \(fsck.stderr)")
        #expect(try f.status().isEmpty, "working tree and index in step with HEAD")
        let log = try Tool.git(["log", "--format=%ae|%s"], cwd: f.repo).stdout.split(separator: "\n").map(String.init)
        // init, 2 parties, order, create, send, request, update, send, accept, pay, pay, credit
        #expect(log.count == 13)
        #expect(log[0].hasPrefix("\(Fixture.seller)|Issue credit note"))
        #expect(log[3] == "\(Fixture.buyer)|Accept invoice \(number) (\(id)) (revision 2)")
        #expect(log[6].hasPrefix("\(Fixture.buyer)|Request changes to invoice \(number)"))
        #expect(log[7] == "\(Fixture.seller)|Send invoice \(number) (revision 1)")

        let history = try f.folio(["invoice", "log", id])
        // The credit note's commit is part of the invoice's history: it records the credit.
        #expect(history.stdout.split(separator: "\n").filter { !$0.hasPrefix("answer ") }.count == 9, "\(history.stdout)")
        #expect(history.stdout.split(separator: "\n").filter { $0.hasPrefix("answer ") }.count == 2, "the change request and the acceptance: \(history.stdout)")
        #expect(history.stdout.contains("Issue credit note"), "\(history.stdout)")

        let validate = try f.folio(["validate", "--format", "json"], as: nil)
        let report = try #require(JSONSerialization.jsonObject(with: Data(validate.stdout.utf8)) as? [String: Any])
        #expect(report["errors"] as? Int == 0, "\(validate.stdout)")
        #expect(validate.code == 0)
    }

    @Test("a clone made by plain git opens in Folio and shows the same bytes")
    func plainGitClone() throws {
        let f = try Fixture()
        let id = try f.draft()
        try expectOK(f.folio(["invoice", "send", id]))
        let clone = f.dir.file("clone")
        #expect(try Tool.git(["clone", "-q", f.repo, clone], cwd: f.dir.path).code == 0)
        let here = try f.folio(["invoice", "show", id, "--json"])
        let there = try Tool.run(Tool.folioPath, ["-C", clone, "invoice", "show", id, "--json"], cwd: f.dir.path)
        #expect(there.code == 0, "\(there.stderr)")
        #expect(here.stdout == there.stdout)
        let onDisk = try String(contentsOfFile: clone + "/" + (try Tool.git(["ls-files", "invoices"], cwd: clone).stdout.trimmingCharacters(in: .whitespacesAndNewlines)), encoding: .utf8)
        #expect(onDisk == there.stdout, "show --json prints the document as stored")
        // The buyer works in the clone.
        let accepted = try Tool.run(Tool.folioPath, ["-C", clone, "--as", Fixture.buyer, "invoice", "accept", id], cwd: f.dir.path)
        #expect(accepted.code == 0, "\(accepted.stderr)")
        #expect(try Tool.git(["log", "-1", "--format=%ae"], cwd: clone).stdout == "\(Fixture.buyer)\n")
    }

    @Test("requireApproval off: send issues the invoice directly; manual invoicing turns approval off")
    func issueWithoutApproval() throws {
        let dir = TempDir()
        let repo = dir.file("r")
        try expectOK(Tool.run(Tool.folioPath, ["init", repo, "--company", "M", "--currency", "JPY", "--seller", "m@s.example", "--invoicing", "manual", "--unsigned"], cwd: dir.path))
        let order = dir.write("o.json", #"{"id": "O-9", "customer": {"id": "C9"}, "items": [{"description": "Tea", "quantity": "3", "unitPrice": 333, "taxRate": "8"}]}"#)
        try expectOK(Tool.run(Tool.folioPath, ["-C", repo, "--as", "m@s.example", "order", "create", "--file", order], cwd: dir.path))
        let r = try Tool.run(Tool.folioPath, ["-C", repo, "--as", "m@s.example", "invoice", "create", "--order", "O-9", "--email", "--json"], cwd: dir.path)
        #expect(r.code == 0, "\(r.stderr)")
        let inv = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(inv["status"] as? String == "issued")
        #expect((inv["distribution"] as? [String: Any])?["method"] as? String == "email")
        // JPY has no minor unit: 999 yen + 8% = 79.92 → 80.
        #expect((inv["totals"] as? [String: Any])?["total"] as? Int == 1079)
    }

    @Test("order items: partial delivery, invoiced at most once, cancel, void gives items back")
    func orderAccounting() throws {
        let f = try Fixture()
        let first = try f.draft(items: "1")
        let again = try f.folio(["invoice", "create", "--order", "O-1", "--items", "1"])
        #expect(again.code == 1)
        #expect(again.stderr.contains("already invoiced"))
        try expectOK(f.folio(["order", "cancel-item", "O-1", "3"]))
        let cancelled = try f.folio(["invoice", "create", "--order", "O-1", "--items", "3"])
        #expect(cancelled.code == 1 && cancelled.stderr.contains("cancelled"))
        let order = try f.json(["order", "show", "O-1"])
        let statuses = try #require(order["items"] as? [[String: Any]]).map { $0["status"] as? String }
        #expect(statuses == ["invoiced", "open", "cancelled"])
        try expectOK(f.folio(["invoice", "void", first, "--reason", "wrong"]))
        let after = try #require(f.json(["order", "show", "O-1"])["items"] as? [[String: Any]]).map { $0["status"] as? String }
        #expect(after == ["open", "open", "cancelled"])
        let rest = try f.json(["invoice", "create", "--order", "O-1"])
        #expect((rest["lines"] as? [[String: Any]])?.count == 2)
    }

    @Test("inbox: the buyer sees what to answer, the seller what to edit")
    func inbox() throws {
        let f = try Fixture()
        let a = try f.draft(items: "1")
        let b = try f.draft(items: "2")
        try expectOK(f.folio(["invoice", "send", a]))
        try expectOK(f.folio(["invoice", "send", b]))
        try expectOK(f.folio(["invoice", "request-changes", b, "--note", "wrong price"], as: Fixture.buyer))
        let buyer = try #require(f.json(["inbox"], as: Fixture.buyer)["data"] as? [[String: Any]])
        #expect(buyer.map { $0["id"] as? String } == [a])
        let seller = try #require(f.json(["inbox"])["data"] as? [[String: Any]])
        #expect(seller.map { $0["id"] as? String } == [b])
        #expect((seller.first?["reason"] as? String)?.contains("wrong price") == true)
        let other = try #require(f.json(["inbox"], as: Fixture.otherBuyer)["data"] as? [[String: Any]])
        #expect(other.isEmpty)
    }
}

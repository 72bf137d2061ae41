import Foundation
import Testing

/// Seed 001's reminders (states 4-6, with reminderamount) and distribution (state 9, then 7)
/// through the binary (issue 10, the seeds' workflow).
@Suite("Reminders and delivery")
struct DunningAndDeliveryTests {
    static let later = ["FOLIO_NOW": "2030-01-10T09:00:00Z"]

    @Test("reminder, bureau, collection: in order, only when overdue and owed, the fee owed on top of the total")
    func dunning() throws {
        let f = try Fixture()
        let id = try f.draft()
        try expectOK(f.folio(["invoice", "send", id]))
        try expectOK(f.folio(["invoice", "accept", id], as: Fixture.buyer))
        let early = try f.folio(["invoice", "remind", id])
        #expect(early.code == 1 && early.stderr.contains("not overdue"), "\(early.stderr)")
        let skip = try f.folio(["invoice", "remind", id, "--stage", "bureau"], env: Self.later)
        #expect(skip.code == 1 && skip.stderr.contains("must reach stage reminder"), "\(skip.stderr)")
        #expect(try f.folio(["invoice", "remind", id], as: Fixture.buyer, env: Self.later).code == 1)
        let total = try #require((f.json(["invoice", "show", id])["totals"] as? [String: Any])?["total"] as? Int)
        try expectOK(f.folio(["invoice", "remind", id, "--fee", "25.00"], env: Self.later))
        var doc = try f.json(["invoice", "show", id])
        #expect(doc["reminderAmount"] as? Int == 2500)
        #expect((doc["totals"] as? [String: Any])?["open"] as? Int == total + 2500, "the fee is owed on top of the total")
        #expect(try f.folio(["invoice", "show", id]).stdout.contains("BRP state 4 Reminder"))
        try expectOK(f.folio(["invoice", "remind", id, "--stage", "bureau", "--fee", "10.00"], env: Self.later))
        #expect(try f.folio(["invoice", "show", id]).stdout.contains("BRP state 5 Reminder bureau"))
        try expectOK(f.folio(["invoice", "remind", id, "--stage", "collection"], env: Self.later))
        #expect(try f.folio(["invoice", "show", id]).stdout.contains("BRP state 6 Bill collection"))
        let back = try f.folio(["invoice", "remind", id], env: Self.later)
        #expect(back.code == 1 && back.stderr.contains("bill collection"), "\(back.stderr)")
        // Paying all of it, fees included, completes it (state 3).
        let owed = total + 3500
        try expectOK(f.folio(["invoice", "pay", id, "--amount", String(format: "%d.%02d", owed / 100, owed % 100)], env: Self.later))
        doc = try f.json(["invoice", "show", id])
        #expect(doc["paymentStatus"] as? String == "paid")
        #expect(try f.folio(["invoice", "show", id]).stdout.contains("BRP state 3 Completed"))
        #expect(try f.folio(["invoice", "remind", id], env: Self.later).code == 1, "nothing left to remind of")
        try expectOK(f.folio(["validate"]))
    }

    @Test("send --email waits in the outbox (state 9) until deliver's command reports it delivered; a failure stays and is shown")
    func outboxAndDelivery() throws {
        let f = try Fixture()
        let id = try f.draft(items: "1")
        let other = try f.draft(items: "2")
        try expectOK(f.folio(["invoice", "send", id, "--email", "--template", "T-55"]))
        try expectOK(f.folio(["invoice", "send", other]))   // no distribution: never in the outbox
        let outbox = try f.json(["outbox"])
        let rows = try #require(outbox["data"] as? [[String: Any]])
        #expect(rows.map { $0["id"] as? String } == [id])
        #expect(rows.first?["template"] as? String == "T-55")
        #expect(try #require(f.json(["outbox"], as: Fixture.otherBuyer)["data"] as? [Any]).isEmpty, "another customer's buyer sees none of it")
        #expect(try #require(f.json(["outbox"], as: Fixture.buyer)["data"] as? [Any]).count == 1)
        #expect(try f.folio(["invoice", "show", id]).stdout.contains("BRP state 9 Waiting to be sent"))
        // A failing delivery: exit 1, the invoice stays, the reason is shown.
        let failing = f.dir.write("fail.sh", "#!/bin/sh\necho 'smtp: connection refused' >&2\nexit 3\n")
        let failed = try f.folio(["deliver", "--via", "sh \(failing)"])
        #expect(failed.code == 1 && failed.stdout.contains("failed") && failed.stdout.contains("connection refused"), "exit \(failed.code): \(failed.stdout) \(failed.stderr)")
        let still = try f.folio(["outbox"])
        #expect(still.stdout.contains("failed 1×: the delivery command exited 3: smtp: connection refused"), "\(still.stdout)")
        // The configured command gets the invoice and its particulars.
        let log = f.dir.file("delivered.log")
        let recorder = f.dir.write("deliver.sh", "#!/bin/sh\n{ echo \"$FOLIO_INVOICE_ID $FOLIO_INVOICE_NUMBER $FOLIO_METHOD $FOLIO_TEMPLATE $FOLIO_CUSTOMER_ID\"; cat; } >> \(log)\n")
        #expect(try Tool.git(["config", "folio.deliver", "sh \(recorder)"], cwd: f.repo).code == 0)
        let delivered = try f.folio(["deliver"])
        #expect(delivered.code == 0 && delivered.stdout.contains("delivered"), "\(delivered.stdout) \(delivered.stderr)")
        let got = try String(contentsOfFile: log, encoding: .utf8)
        let number = try #require(f.json(["invoice", "show", id])["number"] as? String)
        #expect(got.hasPrefix("\(id) \(number) email T-55 C1\n"), "\(got)")
        #expect(got.contains("\"id\": \"\(id)\""), "the invoice's JSON on standard input")
        #expect(try #require(f.json(["outbox"])["data"] as? [Any]).isEmpty)
        #expect(try f.folio(["invoice", "show", id]).stdout.contains("BRP state 2 Pending"))
        let events = try #require(f.json(["invoice", "show", id])["events"] as? [[String: Any]]).compactMap { $0["type"] as? String }
        #expect(events == ["sent", "delivery_failed", "delivered"])
        // A new revision sent by email waits again.
        try expectOK(f.folio(["invoice", "request-changes", id, "--note", "po missing"], as: Fixture.buyer))
        try expectOK(f.folio(["invoice", "update", id, "--set", "/purchaseOrderNumber=PO-9"]))
        try expectOK(f.folio(["invoice", "send", id, "--email"]))
        #expect(try #require(f.json(["outbox"])["data"] as? [Any]).count == 1)
        try expectOK(f.folio(["validate"]))
    }

    @Test("list --state filters by seed 001's state, from the index and from the documents alike, and each row carries it")
    func stateFilter() throws {
        let f = try Fixture()
        let reminded = try f.draft(items: "1")
        let waiting = try f.draft(items: "2")
        let pending = try f.draft(items: "3")
        try expectOK(f.folio(["invoice", "send", reminded]))
        try expectOK(f.folio(["invoice", "remind", reminded], env: Self.later))
        try expectOK(f.folio(["invoice", "send", waiting, "--print"]))
        try expectOK(f.folio(["invoice", "send", pending]))
        func ids(_ extra: [String]) throws -> [String] {
            let r = try f.folio(["list", "--json"] + extra)
            let page = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
            return ((page["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }.sorted()
        }
        for scan in [[], ["--no-index"]] {
            #expect(try ids(["--state", "4"] + scan) == [reminded], "\(scan)")
            #expect(try ids(["--state", "9"] + scan) == [waiting], "\(scan)")
            #expect(try ids(["--state", "2,4"] + scan) == [reminded, pending].sorted(), "\(scan)")
        }
        let rows = try #require(f.json(["list"])["data"] as? [[String: Any]])
        #expect(rows.first { $0["id"] as? String == waiting }?["brpStatus"] as? Int == 9)
        #expect(try f.folio(["list", "--state", "12"]).code == 2)
    }
}

import Foundation
import Testing

/// The buyer page, its PDF and the OpenAPI document (SPEC §11), met as a buyer and a client
/// meet them: curl, Debian's headless Chromium driven by selenium, poppler's pdftotext, and
/// schemathesis against the live server. `.ci/run` installs them.
@Suite("Buyer page, PDF and OpenAPI", .serialized)
struct WebTests {
    typealias Server = ServeTests.Server

    /// Where screenshots and the schemathesis report are kept after the run.
    static let artefacts: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("test-artefacts").path
    }()

    static func tool(_ name: String) throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        Issue.record("\(name) is missing: these tests need chromium, chromium-driver and poppler-utils (Debian) and selenium and schemathesis (PyPI); .ci/run installs them")
        throw CancellationError()
    }

    /// A sent invoice of customer C1 (the buyer's), with the order's item `items`.
    func sent(_ f: Fixture, items: String) throws -> String {
        let id = try f.draft(items: items)
        try expectOK(f.folio(["invoice", "send", id]))
        return id
    }

    @Test("a token link becomes an HttpOnly cookie; the page shows the invoice and the banner, answers only for the buyer; a write by cookie needs the page's header; the PDF prints the same page")
    func pageAndPDF() throws {
        let f = try Fixture()
        let id = try sent(f, items: "1")
        let number = try #require(f.json(["invoice", "show", id])["number"] as? String)
        let server = try Server(f)
        defer { _ = server.stop() }
        let buyer = try server.token(Fixture.buyer), seller = try server.token(Fixture.seller), other = try server.token(Fixture.otherBuyer)

        let link = try server.request("GET", "/invoices/\(id)/view?token=\(buyer)", token: nil)
        let head = link.headers.lowercased()
        #expect(link.status == 303 && head.contains("location: /invoices/\(id.lowercased())/view\r\n"), "\(link.headers)")
        #expect(head.contains("set-cookie: folio_token=") && head.contains("httponly") && head.contains("samesite=strict"), "\(link.headers)")
        #expect(try server.request("GET", "/invoices/\(id)/view?token=\(buyer)x", token: nil).status == 401)

        let cookie = "Cookie: folio_token=\(buyer)"
        let page = try server.request("GET", "/invoices/\(id)/view", token: nil, headers: [cookie])
        #expect(page.status == 200 && page.headers.lowercased().contains("content-type: text/html"), "\(page.headers)")
        #expect(page.body.contains("Pending approval") && page.body.contains("Invoice \(number)") && page.body.contains("65.97 USD"), "\(page.body.prefix(2000))")
        #expect(page.body.contains("id=\"accept-button\"") && page.body.contains("id=\"decline-dialog\"") && page.body.contains("id=\"changes-dialog\""))
        let sellers = try server.request("GET", "/invoices/\(id)/view", token: seller)
        #expect(sellers.status == 200 && !sellers.body.contains("accept-button"), "only the buyer answers")
        #expect(try server.request("GET", "/invoices/\(id)/view", token: other).status == 404)

        // A cookie alone does not write: another site's form would carry it too.
        let before = try f.head()
        #expect(try server.request("POST", "/invoices/\(id)/accept", token: nil, body: "{}", headers: [cookie]).status == 401)
        #expect(try f.head() == before)

        let pdfPath = f.dir.file("invoice.pdf")
        let download = try server.curl(["-s", "-o", pdfPath, "-w", "%{http_code} %{content_type}", "-H", "authToken: \(buyer)", server.base + "/invoices/\(id)/download-pdf"])
        #expect(download.stdout == "200 application/pdf", "\(download.stdout)")
        let text = try Tool.run(try Self.tool("pdftotext"), [pdfPath, "-"]).stdout
        for expected in ["Invoice \(number)", "Pending approval", "Bea's Shop", "Shirt", "65.97 USD", "Test Co"] {
            #expect(text.contains(expected), "the PDF shows \(expected): \(text)")
        }
        #expect(!text.contains("Request changes"), "printing hides the actions")
        #expect(try server.request("GET", "/invoices/\(id)/download-pdf", token: other).status == 404)
    }

    @Test("in headless Chromium a buyer requests changes, declines with a reason and accepts: each one commit by the buyer, the banner follows, an empty reason is never sent; screenshots kept")
    func buyerAnswersInBrowser() throws {
        let python = try Self.tool("python3")
        _ = try Self.tool("chromedriver")
        let f = try Fixture()
        let changes = try sent(f, items: "1"), decline = try sent(f, items: "2"), accept = try sent(f, items: "3")
        let server = try Server(f)
        defer { _ = server.stop() }
        let buyer = try server.token(Fixture.buyer)
        let before = try f.head()
        let shots = Self.artefacts + "/buyer-page"
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("browser/buyer_page.py").path
        let run = try Tool.run(python, [script, server.base, buyer, changes, decline, accept, shots])
        #expect(run.code == 0, "\(run.stderr.suffix(3000))")
        let seen = try #require(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)")

        let cookie = (seen["cookie"] as? [String: Any])?["folio_token"] as? [String: Any]
        #expect(cookie?["httpOnly"] as? Bool == true && cookie?["sameSite"] as? String == "Strict", "\(seen)")
        #expect((seen["addressAfterLink"] as? String)?.contains("token=") == false, "the token left the address bar")
        for (name, after) in [("request-changes", "Needs edit"), ("decline", "Declined"), ("accept", "Accepted")] {
            let step = try #require(seen[name] as? [String: Any], "\(seen)")
            #expect(step["before"] as? String == "Pending approval" && step["after"] as? String == after, "\(name): \(step)")
            #expect(step["actionsLeft"] as? Int == 0, "answered: no more actions")
            if name != "accept" { #expect(step["emptyBlocked"] as? Bool == true, "\(name): an empty text is not sent") }
        }
        #expect(((seen["decline"] as? [String: Any])?["detail"] as? String)?.contains("We never ordered the coat") == true)

        let log = try Tool.git(["log", "--format=%ae %s", "\(before)..HEAD"], cwd: f.repo).stdout.split(separator: "\n")
        #expect(log.count == 3 && log.allSatisfy { $0.hasPrefix(Fixture.buyer) }, "one commit per answer, by the buyer: \(log)")
        #expect(try f.json(["invoice", "show", changes])["status"] as? String == "changes_requested")
        #expect(try f.json(["invoice", "show", decline])["status"] as? String == "declined")
        #expect(try f.json(["invoice", "show", accept])["status"] as? String == "accepted")
        for shot in ["pending", "request-changes-dialog", "decline-after", "accept-after"] {
            #expect(FileManager.default.fileExists(atPath: "\(shots)/\(shot).png"), "screenshot \(shot)")
        }
        try expectOK(f.folio(["validate"]))
    }

    @Test("schemathesis, every check, against the live server as a seller and as a buyer: 0 failures; the repository stays valid")
    func openAPIConformance() throws {
        let schemathesis = try Self.tool("schemathesis")
        let f = try Fixture()
        try expectOK(f.folio(["field", "add", "costCentre", "--type", "text"]))
        let o2 = f.dir.write("o2.json", """
            {"id": "O-2", "customer": {"id": "C1", "name": "Bea's Shop"}, "currency": "USD",
             "items": [{"ref": "1", "description": "Scarf", "quantity": "4", "unitPrice": 1200, "taxRate": "10"}]}
            """)
        try expectOK(f.folio(["order", "create", "--file", o2]))
        let ids = [try sent(f, items: "1"), try sent(f, items: "2"), try f.draft(items: "3")]
        let server = try Server(f)
        defer { _ = server.stop() }
        let document = try server.curl(["-s", server.base + "/openapi.json"]).stdout
        let parsed = try #require(JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any])
        #expect(parsed["openapi"] as? String == "3.1.0")
        #expect(((parsed["paths"] as? [String: Any])?.count ?? 0) >= 9, "every endpoint is described")

        // Half the ids it draws are real, so the checks reach the handlers, not only 404.
        let config = f.dir.write("schemathesis.toml", """
            [dictionaries.invoices]
            values = [\(ids.map { "\"\($0)\"" }.joined(separator: ", "))]
            [dictionaries.orders]
            values = ["O-1", "O-2"]
            [parameters]
            "path.invoiceId" = { dictionary = "invoices", probability = 0.5 }
            "path.orderId" = { dictionary = "orders", probability = 0.5 }
            "body.orderNumber" = { dictionary = "orders", probability = 0.5 }
            # Well-formed requests may still meet a stale If-Match (412) or make a document that
            # breaks a rule no schema states (422, e.g. an extra field fields.json lacks).
            [checks.positive_data_acceptance]
            expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429"]
            """)
        try FileManager.default.createDirectory(atPath: Self.artefacts, withIntermediateDirectories: true)
        var generated = 0
        // One worker: hypothesis describes its filters with ast.parse, which CPython 3.11 does
        // not run safely on two threads at once ("AST constructor recursion depth mismatch").
        for who in [Fixture.seller, Fixture.buyer] {
            let token = try server.token(who)
            let run = try Tool.run(schemathesis, ["--config-file", config, "run", server.base + "/openapi.json", "--checks", "all",
                                                  "-H", "authToken: \(token)", "-H", "Authorization: Bearer \(token)",
                                                  "--max-examples", "25", "--workers", "1", "--seed", "20261203",
                                                  "--report", "junit", "--report-dir", Self.artefacts + "/schemathesis-" + (who == Fixture.seller ? "seller" : "buyer")],
                                   cwd: f.dir.path, env: ["NO_COLOR": "1"])
            #expect(run.code == 0, "as \(who): \(run.stdout.suffix(6000))")
            let summary = run.stdout.split(separator: "\n").first { $0.contains(" generated, ") } ?? ""
            #expect(summary.contains("passed") && !summary.contains("failure"), "\(summary)")
            generated += Int(summary.split(separator: " ").first { Int($0) != nil } ?? "0") ?? 0
            print("schemathesis as \(who): \(summary.trimmingCharacters(in: .whitespaces))")
        }
        #expect(generated > 1_000, "\(generated) cases")
        try expectOK(f.folio(["validate"]))
        #expect(try Tool.git(["fsck", "--strict"], cwd: f.repo).code == 0)
    }
}

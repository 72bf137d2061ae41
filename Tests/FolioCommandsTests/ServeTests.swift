import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `folio serve` (SPEC §11) as a client meets it: the binary started on 127.0.0.1 and stopped
/// by its PID, requests made by curl, the repository checked with plain git.
@Suite("HTTP API", .serialized)
struct ServeTests {
    struct Server {
        let running: Running
        let base: String
        /// `folio serve token EMAIL` as the repository's seller.
        let issue: (String) throws -> RunResult

        init(_ f: Fixture) throws {
            try self.init(repo: f.repo, cwd: f.dir.path) { try f.folio(["serve", "token", $0]) }
        }

        init(repo: String, cwd: String, env: [String: String] = [:], args: [String] = [], issue: @escaping (String) throws -> RunResult) throws {
            self.issue = issue
            let port = Loopback.freePort()
            base = "http://127.0.0.1:\(port)"
            running = try Tool.start(Tool.folioPath, ["-C", repo, "serve", "--listen", "127.0.0.1:\(port)"] + args, cwd: cwd, env: env)
            // Ready when it answers (401 without a token).
            for _ in 0..<100 {
                if let r = try? curl(["-o", "/dev/null", "-w", "%{http_code}", base + "/invoices"]), r.stdout == "401" { return }
                usleep(100_000)
            }
            running.kill()
            Issue.record("folio serve did not answer on \(base): \(running.wait().stderr)")
            throw CancellationError()
        }

        func stop() -> RunResult {
            kill(running.process.processIdentifier, SIGTERM)
            return running.wait(timeout: 20)
        }

        func token(_ email: String) throws -> String {
            let r = try issue(email)
            try expectOK(r)
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// (status, headers and body): curl -i.
        func request(_ method: String, _ path: String, token: String?, body: String? = nil, headers: [String] = []) throws -> (status: Int, headers: String, body: String) {
            var args = ["-s", "-i", "-X", method, base + path]
            if let token { args += ["-H", "authToken: \(token)"] }
            if let body { args += ["-H", "Content-Type: application/json", "--data-binary", body] }
            for h in headers { args += ["-H", h] }
            let r = try curl(args)
            let parts = r.stdout.components(separatedBy: "\r\n\r\n")
            let head = parts.first ?? ""
            let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
            return (status, head, parts.dropFirst().joined(separator: "\r\n\r\n"))
        }

        func json(_ body: String) throws -> [String: Any] {
            try #require(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
        }

        func curl(_ args: [String]) throws -> RunResult { try Tool.run("/usr/bin/curl", ["--max-time", "20"] + args) }
    }

    @Test("seed 004's list and detail, a buyer's view limited to its customer (404 for the rest), 401 without a valid token")
    func readsAndVisibility() throws {
        let f = try Fixture()
        let mine = try f.draft(items: "1")
        try expectOK(f.folio(["invoice", "send", mine]))
        let other = f.dir.write("o2.json", """
            {"id": "O-2", "customer": {"id": "C2", "name": "Other Ltd"}, "currency": "USD",
             "items": [{"ref": "1", "description": "Secret thing", "quantity": "1", "unitPrice": 777, "taxRate": "0"}]}
            """)
        try expectOK(f.folio(["order", "create", "--file", other]))
        let theirs = try #require(f.json(["invoice", "create", "--order", "O-2"])["id"] as? String)
        let server = try Server(f)
        defer { _ = server.stop() }
        let seller = try server.token(Fixture.seller), buyer = try server.token(Fixture.buyer)

        let all = try server.request("GET", "/invoices?sortBy=invoiceNumber&orderBy=DESC&limit=10", token: seller)
        #expect(all.status == 200 && all.headers.lowercased().contains("content-type: application/json"), "\(all)")
        let page = try server.json(all.body)
        #expect(page["code"] as? Int == 200)
        let rows = try #require(page["data"] as? [[String: Any]])
        #expect(Set(rows.compactMap { $0["id"] as? String }) == [mine, theirs])
        #expect((page["meta"] as? [String: Any]).flatMap { $0["pagination"] as? [String: Any] }?["totalCount"] as? Int == 2)
        let sent = try #require(rows.first { $0["id"] as? String == mine })
        #expect(sent["customerId"] as? String == "C1" && sent["status"] as? Int == 0 && sent["approvalStatus"] as? String == "pending_approval")
        #expect(sent["invoiceNumber"] is String && sent["dueDate"] is Int, "seed 004's names and Unix timestamps: \(sent)")
        #expect((sent["originalBalance"] as? [String: Any])?["code"] as? String == "USD")

        let buyers = try server.json(try server.request("GET", "/invoices", token: buyer).body)
        #expect((buyers["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [mine], "a buyer lists its customer's invoices only")
        #expect(try server.request("GET", "/invoices/\(theirs)", token: buyer).status == 404, "another customer's invoice does not exist for a buyer")
        #expect(try server.request("GET", "/invoices/nope", token: seller).status == 404)
        let detail = try server.request("GET", "/invoices/\(mine)", token: buyer)
        #expect(detail.status == 200 && detail.headers.lowercased().contains("etag: \""), "\(detail.headers)")
        #expect(((try server.json(detail.body))["data"] as? [String: Any])?["id"] as? String == mine)

        #expect(try server.request("GET", "/invoices", token: nil).status == 401)
        #expect(try server.request("GET", "/invoices", token: buyer + "x").status == 401, "a forged token is refused")
        #expect(try server.request("GET", "/invoices?orderBy=sideways", token: seller).status == 400)
        #expect(try server.request("GET", "/invoices?status=7", token: seller).status == 400)
        #expect(try f.folio(["serve", "token", Fixture.seller], as: Fixture.buyer).code == 1, "only a seller issues tokens")

        // A party added while the server runs is known on its next request (the server keeps
        // parties.json parsed per version, not once for all).
        try expectOK(f.folio(["party", "add", "nina@other.example", "--role", "buyer", "--customer", "C2"]))
        let nina = try server.token("nina@other.example")
        let hers = try server.json(try server.request("GET", "/invoices", token: nina).body)
        #expect((hers["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [theirs], "\(hers)")
    }

    @Test("a buyer answers over HTTP: one commit by that buyer; If-Match guards the version, Idempotency-Key makes a retry safe, bad bodies are 400 and write nothing")
    func answers() throws {
        let f = try Fixture()
        let id = try f.draft(items: "1")
        try expectOK(f.folio(["invoice", "send", id]))
        let server = try Server(f)
        defer { _ = server.stop() }
        let buyer = try server.token(Fixture.buyer), other = try server.token(Fixture.otherBuyer)
        let before = try f.head()

        for bad in ["{\"note\": 3}", "{\"colour\": \"red\"}", "not json", "{}"] {
            let r = try server.request("POST", "/invoices/\(id)/request-changes", token: buyer, body: bad)
            #expect(r.status == 400 && r.headers.lowercased().contains("application/problem+json"), "\(bad): \(r)")
        }
        #expect(try server.request("POST", "/invoices/\(id)/accept", token: other).status == 404, "another customer's buyer cannot see it")
        let etag = try #require(try server.request("GET", "/invoices/\(id)", token: buyer).headers.split(separator: "\r\n")
            .first { $0.lowercased().hasPrefix("etag:") }.map { String($0.dropFirst(5)).trimmingCharacters(in: .whitespaces) })
        #expect(try server.request("POST", "/invoices/\(id)/accept", token: buyer, headers: ["If-Match: \"stale\""]).status == 412)
        #expect(try f.head() == before, "nothing was written by the refused requests")

        let asked = try server.request("POST", "/invoices/\(id)/request-changes", token: buyer, body: "{\"note\": \"Two shirts, not one\"}",
                                       headers: ["If-Match: \(etag)", "Idempotency-Key: k-1"])
        #expect(asked.status == 200, "\(asked)")
        #expect(((try server.json(asked.body))["data"] as? [String: Any])?["approvalStatus"] as? String == "changes_requested")
        let after = try f.head()
        #expect(after != before)
        #expect(try Tool.git(["log", "-1", "--format=%ae %s"], cwd: f.repo).stdout.hasPrefix(Fixture.buyer), "the commit is the buyer's")
        let retry = try server.request("POST", "/invoices/\(id)/request-changes", token: buyer, body: "{\"note\": \"Two shirts, not one\"}",
                                       headers: ["Idempotency-Key: k-1"])
        let headAfterRetry = try f.head()
        #expect(retry.status == 200 && headAfterRetry == after, "a retried request writes nothing more: \(retry)")
        #expect(try f.json(["invoice", "show", id])["status"] as? String == "changes_requested")
        #expect(try Tool.git(["fsck", "--no-progress"], cwd: f.repo).code == 0)
        let stopped = server.stop()
        #expect(stopped.code == 0, "SIGTERM ends the server cleanly: \(stopped.code) \(stopped.stderr.suffix(300))")
    }

    @Test("a seller creates an invoice from an order over HTTP (201, one commit); a buyer is refused, bad bodies are 400, nothing written")
    func createFromOrder() throws {
        let f = try Fixture()
        let server = try Server(f)
        defer { _ = server.stop() }
        let seller = try server.token(Fixture.seller), buyer = try server.token(Fixture.buyer)
        let before = try f.head()
        for bad in ["{\"items\": [1]}", "{\"dueDate\": \"soon\"}", "{\"colour\": 1}", "[]"] {
            #expect(try server.request("POST", "/orders/O-1/invoices", token: seller, body: bad).status == 400, "\(bad)")
        }
        let refused = try server.request("POST", "/orders/O-1/invoices", token: buyer, body: "{}")
        #expect(refused.status == 409 && refused.body.contains("buyer"), "\(refused)")
        #expect(try server.request("POST", "/orders/O-404/invoices", token: seller, body: "{}").status == 404)
        #expect(try f.head() == before, "nothing was written")

        let made = try server.request("POST", "/orders/O-1/invoices", token: seller, body: "{\"items\": [\"1\", \"3\"], \"dueDate\": \"2027-01-31\"}")
        #expect(made.status == 201, "\(made)")
        let data = try #require((try server.json(made.body))["data"] as? [String: Any])
        let id = try #require(data["id"] as? String)
        #expect(data["approvalStatus"] as? String == "draft" && data["orderNumber"] as? String == "O-1")
        #expect(data["dueDate"] as? Int == 1_801_353_600, "2027-01-31 as a Unix timestamp")
        let shown = try f.json(["invoice", "show", id])
        #expect((shown["lines"] as? [[String: Any]])?.count == 2)
        #expect(try Tool.git(["log", "-1", "--format=%ae"], cwd: f.repo).stdout.hasPrefix(Fixture.seller))
    }

    @Test("a write over HTTP is authored by the party and signed by the server party's key: plain git verifies it, validate --since accepts it, a server never acts or authors")
    func serverSigns() throws {
        let shop = try SignatureTests.SignedShop()
        let serverEmail = "server@signed.example"
        try shop.makeKey("server")
        try expectOK(shop.run(["party", "add", serverEmail, "--role", "server", "--key", shop.key("server") + ".pub"]))
        let noKey = try shop.run(["party", "add", "bare@signed.example", "--role", "server"])
        #expect(noKey.code != 0 && noKey.stderr.contains("--key"), "a server party needs a key: \(noKey.stderr)")
        let id = try #require(shop.json(["invoice", "create", "--order", "O-1", "--items", "1"])["id"] as? String)
        try expectOK(shop.run(["invoice", "send", id]))
        let first = try #require(try shop.commits().last)

        let server = try Server(repo: shop.repo, cwd: shop.dir.path, env: ["FOLIO_SIGNING_KEY": shop.key("server")]) { try shop.run(["serve", "token", $0]) }
        let buyer = try server.token(SignatureTests.SignedShop.buyer)
        #expect(try shop.run(["serve", "token", serverEmail]).code == 1, "no tokens for a server party")
        let before = try shop.head()
        let accepted = try server.request("POST", "/invoices/\(id)/accept", token: buyer)
        #expect(accepted.status == 200, "\(accepted)")
        let stopped = server.stop()
        #expect(stopped.stderr.contains("signing what it writes as server party \(serverEmail)"), "\(stopped.stderr)")

        let head = try shop.head()
        #expect(try shop.git(["rev-parse", "HEAD~1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == before, "one commit")
        #expect(try shop.git(["log", "-1", "--format=%ae"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == SignatureTests.SignedShop.buyer, "the party is the author")
        let verify = try shop.git(["verify-commit", head])
        #expect(verify.code == 0 && verify.stderr.contains("Good \"git\" signature for \(serverEmail)"), "\(verify.stderr)")
        try expectOK(shop.run(["validate", "--since", first]))
        let log = try shop.run(["invoice", "log", id])
        #expect(log.stdout.contains("signed by \(serverEmail) for \(SignatureTests.SignedShop.buyer), verified"), "\(log.stdout)")
        #expect(log.stdout.contains("answer accepted of revision 1 by \(SignatureTests.SignedShop.buyer): signed by \(serverEmail) for \(SignatureTests.SignedShop.buyer), verified"), "\(log.stdout)")

        // The server party itself never acts, and a change it authored is refused by history.
        let acting = try shop.run(["invoice", "create", "--order", "O-1", "--items", "2"], as: serverEmail, key: "server")
        #expect(acting.code != 0 && acting.stderr.contains("server party"), "\(acting.stderr)")
        #expect(try shop.head() == head)
        try "forged".write(toFile: shop.repo + "/notes.txt", atomically: true, encoding: .utf8)
        _ = try shop.git(["add", "notes.txt"])
        let forged = try shop.git(["-c", "user.email=\(serverEmail)", "-c", "user.name=Server", "-c", "gpg.format=ssh", "-c", "user.signingKey=\(shop.key("server"))",
                                   "commit", "-q", "-S", "-m", "a server's own change"])
        #expect(forged.code == 0, "\(forged.stderr)")
        let refused = try shop.run(["validate", "--since", head])
        #expect(refused.code != 0 && refused.stdout.contains("history/server-author"), "\(refused.stdout)\(refused.stderr)")
    }

    @Test("seed 004's POST /invoices, PUT and DELETE /invoices/{id} and extra-field configs: one commit each, seed 004's names in, Folio's computed fields refused with 422 naming the field, 405 with Allow for other methods")
    func createUpdateDelete() throws {
        let f = try Fixture()
        try expectOK(f.folio(["field", "add", "costCentre", "--type", "text"]))
        let server = try Server(f)
        defer { _ = server.stop() }
        let seller = try server.token(Fixture.seller), buyer = try server.token(Fixture.buyer)

        let fields = try server.json(try server.request("GET", "/invoices/extra-fields", token: buyer).body)
        let config = try #require((fields["data"] as? [[String: Any]])?.first)
        #expect(config["fieldName"] as? String == "costCentre" && config["fieldType"] as? Int == 0 && config["isRequired"] as? Bool == false, "\(fields)")
        #expect(((fields["meta"] as? [String: Any])?["pagination"] as? [String: Any])?["limit"] as? Int == 10)

        var before = try f.head()
        let managed = try server.request("POST", "/invoices", token: seller, body: #"{"orderNumber": "O-1", "invoiceNumber": "X-1"}"#)
        #expect(managed.status == 422 && managed.body.contains("\"pointer\": \"/invoiceNumber\""), "\(managed)")
        #expect(try server.request("POST", "/invoices", token: seller, body: #"{"dueDate": 1800000000}"#).status == 400, "orderNumber is required")
        #expect(try f.head() == before)
        let made = try server.request("POST", "/invoices", token: seller, body: """
            {"orderNumber": "O-1", "items": ["1"], "dueDate": 1801353600.0, "purchaseOrderNumber": "PO-77", "termsConditions": "Net 10",
             "extraFields": [{"fieldName": "costCentre", "fieldValue": "CC-9"}]}
            """)
        #expect(made.status == 201, "\(made)")
        let id = try #require(((try server.json(made.body))["data"] as? [String: Any])?["id"] as? String)
        #expect(try Tool.git(["rev-list", "--count", "\(before)..HEAD"], cwd: f.repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "one commit")
        var shown = try f.json(["invoice", "show", id])
        #expect(shown["dueDate"] as? String == "2027-01-31" && shown["purchaseOrderNumber"] as? String == "PO-77" && shown["terms"] as? String == "Net 10", "\(shown)")
        #expect((shown["extraFields"] as? [[String: Any]])?.first?["fieldValue"] as? String == "CC-9")

        before = try f.head()
        #expect(try server.request("PUT", "/invoices/\(id)", token: seller, body: #"{"status": 2}"#).status == 422, "status follows from payments")
        #expect(try server.request("PUT", "/invoices/\(id)", token: seller, body: #"{"dueDate": "tomorrow"}"#).status == 400)
        #expect(try server.request("PUT", "/invoices/\(id)", token: buyer, body: #"{"note": "mine"}"#).status == 409, "a buyer never edits content")
        #expect(try server.request("PUT", "/invoices/\(id)", token: seller, body: #"{"note": "x"}"#, headers: ["If-Match: \"stale\""]).status == 412)
        #expect(try f.head() == before, "nothing was written by the refused requests")
        // `document` is Folio's merge patch (RFC 7396: an array is replaced whole, so a line
        // without its required fields makes an invalid document: 422 naming them).
        let broken = try server.request("PUT", "/invoices/\(id)", token: seller, body: #"{"document": {"lines": [{"quantity": "2"}]}}"#)
        #expect(broken.status == 422 && broken.body.contains("\"pointer\": \"/lines/0/unitPrice\""), "\(broken)")
        #expect(try f.head() == before)
        let edited = try server.request("PUT", "/invoices/\(id)", token: seller, body: #"{"note": "Thanks!", "document": {"shipment": {"carrier": "DHL"}}}"#)
        #expect(edited.status == 200, "\(edited)")
        shown = try f.json(["invoice", "show", id])
        #expect(shown["note"] as? String == "Thanks!" && (shown["shipment"] as? [String: Any])?["carrier"] as? String == "DHL", "\(shown)")
        let again = try server.request("PUT", "/invoices/\(id)", token: seller, body: #"{"note": "Thanks!"}"#)
        #expect(again.status == 200, "PUT is idempotent: \(again)")
        #expect(try Tool.git(["rev-list", "--count", "\(before)..HEAD"], cwd: f.repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "one commit for the edit, none for the repeat")

        let other = try f.draft(items: "2")
        try expectOK(f.folio(["invoice", "send", other]))
        let afterEdit = try f.head()
        #expect(try server.request("DELETE", "/invoices/\(other)", token: seller).status == 409, "a sent invoice is never deleted")
        #expect(try server.request("DELETE", "/invoices/\(id)", token: buyer).status == 409)
        #expect(try f.head() == afterEdit)
        let deleted = try server.request("DELETE", "/invoices/\(id)", token: seller)
        let gone = try server.json(deleted.body)
        #expect(deleted.status == 200 && (gone["data"] as? [String: Any])?["id"] as? String == id, "\(deleted)")
        #expect(try server.request("GET", "/invoices/\(id)", token: seller).status == 404)
        #expect(try f.folio(["invoice", "show", id]).code != 0)

        let patch = try server.request("PATCH", "/invoices/\(other)", token: seller, body: "{}")
        #expect(patch.status == 405 && patch.headers.lowercased().contains("allow: get, put, delete"), "\(patch)")
        #expect(try server.request("HEAD", "/invoices", token: seller).status == 200)
        try expectOK(f.folio(["validate"]))
        #expect(try Tool.git(["fsck", "--strict"], cwd: f.repo).code == 0)
    }

    @Test("the server syncs with its remote: a web answer reaches the remote after the write, a change pushed elsewhere reaches the server with --sync-every")
    func syncsWithRemote() throws {
        let f = try Fixture()
        let answered = try f.draft(items: "1")
        try expectOK(f.folio(["invoice", "send", answered]))
        let edited = try f.draft(items: "2")
        let bare = f.dir.file("remote.git")
        try expectOK(Tool.git(["init", "-q", "--bare", "-b", "main", bare], cwd: f.dir.path))
        try expectOK(Tool.git(["remote", "add", "origin", bare], cwd: f.repo))
        let first = try f.folio(["sync"])
        try expectOK(first)
        #expect(!first.stderr.contains("share(s)"), "a seller without shares hears nothing of shares: \(first.stderr)")
        try expectOK(f.folio(["clone", bare, f.dir.file("laptop")], cwd: f.dir.path))

        let server = try Server(repo: f.repo, cwd: f.dir.path, env: ["FOLIO_USER": Fixture.seller], args: ["--sync-every", "1"]) { try f.folio(["serve", "token", $0]) }
        let buyer = try server.token(Fixture.buyer), seller = try server.token(Fixture.seller)
        #expect(try server.request("POST", "/invoices/\(answered)/accept", token: buyer).status == 200)
        var remoteLog = ""
        for _ in 0..<100 {
            remoteLog = try Tool.git(["--git-dir", bare, "log", "-1", "--format=%ae %s", "main"], cwd: f.dir.path).stdout
            if remoteLog.hasPrefix(Fixture.buyer) { break }
            usleep(200_000)
        }
        #expect(remoteLog.hasPrefix(Fixture.buyer) && remoteLog.contains("ccept"), "the web answer reached the remote: \(remoteLog)")

        // The seller edits on a laptop and syncs; the server picks it up on its timer.
        try expectOK(Tool.run(Tool.folioPath, ["-C", f.dir.file("laptop"), "--as", Fixture.seller, "invoice", "update", edited, "--set", "/note=From the laptop"], cwd: f.dir.path))
        try expectOK(Tool.run(Tool.folioPath, ["-C", f.dir.file("laptop"), "--as", Fixture.seller, "sync"], cwd: f.dir.path))
        var note: String?
        for _ in 0..<100 {
            let shown = try server.request("GET", "/invoices/\(edited)", token: seller)
            note = ((try? server.json(shown.body))?["data"] as? [String: Any]).flatMap { ($0["document"] as? [String: Any])?["note"] as? String }
            if note != nil { break }
            usleep(200_000)
        }
        #expect(note == "From the laptop", "the server's clone synced on its timer")
        let stopped = server.stop()
        #expect(stopped.stderr.contains("syncing with origin as \(Fixture.seller)") && !stopped.stderr.contains("failed"), "\(stopped.stderr)")
        try expectOK(f.folio(["validate"]))
    }

    @Test("the server and the command line writing at once lose nothing: concurrent PUTs over HTTP and `folio invoice update` processes, each one commit, all in the result; an oversized body is 413 and writes nothing")
    func concurrentWithCommandLine() throws {
        let f = try Fixture()
        let id = try f.draft()
        let server = try Server(f)
        defer { _ = server.stop() }
        let seller = try server.token(Fixture.seller)
        let before = try Int(Tool.git(["rev-list", "--count", "HEAD"], cwd: f.repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let big = String(repeating: "x", count: 70_000)
        #expect(try server.request("PUT", "/invoices/\(id)", token: seller, body: "{\"note\": \"\(big)\"}").status == 413)

        // Six fields over HTTP (curl processes) and two from the command line, all at once.
        let web = [("purchaseOrderNumber", "PO-1"), ("externalId", "EXT-2"), ("externalCustomerId", "XC-3"), ("termsConditions", "Net 4"),
                   ("externalPdfUrl", "https://example.com/5.pdf"), ("note", "six")]
        let requests = try web.map { field, value in
            try Tool.start("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "60", "-X", "PUT", "-H", "authToken: \(seller)",
                                             "-H", "Content-Type: application/json", "--data-binary", "{\"\(field)\": \"\(value)\"}", server.base + "/invoices/\(id)"])
        }
        let commands = try [("/shipment", #"{"carrier":"DHL"}"#), ("/dueDate", "2027-03-31")].map { pointer, value in
            try Tool.start(Tool.folioPath, ["-C", f.repo, "--as", Fixture.seller, "invoice", "update", id, "--set", "\(pointer)=\(value)"], cwd: f.dir.path)
        }
        for r in requests.map({ $0.wait(timeout: 120) }) { #expect(r.stdout == "200", "\(r.stdout) \(r.stderr)") }
        for r in commands.map({ $0.wait(timeout: 120) }) { #expect(r.code == 0, "\(r.stderr)") }
        let shown = try f.json(["invoice", "show", id])
        #expect(shown["purchaseOrderNumber"] as? String == "PO-1" && shown["externalId"] as? String == "EXT-2" && shown["externalCustomerId"] as? String == "XC-3")
        #expect(shown["terms"] as? String == "Net 4" && shown["externalPdfUrl"] as? String == "https://example.com/5.pdf" && shown["note"] as? String == "six")
        #expect((shown["shipment"] as? [String: Any])?["carrier"] as? String == "DHL" && shown["dueDate"] as? String == "2027-03-31", "\(shown)")
        let after = try Int(Tool.git(["rev-list", "--count", "HEAD"], cwd: f.repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(after - before == 8, "one commit per write")
        #expect(try f.status().isEmpty, "the working tree is in step with HEAD")
        try expectOK(f.folio(["validate"]))
    }

    @Test("seed 004's other list parameters: externalId[], channelIds, beginDateAt/endDateAt (created, by UTC day) and isIncludeExtraFields")
    func listParameters() throws {
        let f = try Fixture()
        try expectOK(f.folio(["field", "add", "costCentre", "--type", "text"]))
        let a = try f.draft(items: "1"), b = try f.draft(items: "2")
        try expectOK(f.folio(["invoice", "update", a, "--set", "/externalId=ERP-1", "--set", #"/extraFields=[{"fieldName":"costCentre","fieldValue":"CC-1"}]"#]))
        try expectOK(f.folio(["invoice", "update", b, "--set", "/externalId=ERP-2"]))
        let server = try Server(f)
        defer { _ = server.stop() }
        let seller = try server.token(Fixture.seller)
        func ids(_ query: String) throws -> [String] {
            let r = try server.request("GET", "/invoices?" + query, token: seller)
            #expect(r.status == 200, "\(query): \(r)")
            return ((try server.json(r.body))["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }.sorted()
        }
        #expect(try ids("externalId%5B%5D=ERP-1") == [a])
        #expect(try ids("externalId[]=ERP-1&externalId[]=ERP-2") == [a, b].sorted())
        #expect(try ids("channelIds=1") == [], "the fixture's order is channel b2b")
        let now = Int(Date().timeIntervalSince1970)
        #expect(try ids("beginDateAt=\(now - 86_400)&endDateAt=\(now + 86_400)") == [a, b].sorted())
        #expect(try ids("beginDateAt=\(now + 3 * 86_400)") == [])
        #expect(try server.request("GET", "/invoices?beginDateAt=yesterday", token: seller).status == 400)
        #expect(try server.request("GET", "/invoices?channelIds=web", token: seller).status == 400)
        let with = try server.json(try server.request("GET", "/invoices?externalId[]=ERP-1&isIncludeExtraFields=1", token: seller).body)
        let row = try #require((with["data"] as? [[String: Any]])?.first)
        #expect((row["extraFields"] as? [[String: Any]])?.first?["fieldValue"] as? String == "CC-1", "\(row)")
        // Seed 001's filters: a product on a line, the numeric state (1 draft), the number.
        #expect(try ids("productids=P-2,P-9") == [b])
        #expect(try ids("state=1") == [a, b].sorted())
        #expect(try server.request("GET", "/invoices?state=12", token: seller).status == 400)
        try expectOK(f.folio(["invoice", "send", a]))
        let number = try #require(f.json(["invoice", "show", a])["number"] as? String)
        #expect(try ids("number=\(number)") == [a])
        let without = try server.json(try server.request("GET", "/invoices?externalId[]=ERP-1", token: seller).body)
        #expect((without["data"] as? [[String: Any]])?.first?["extraFields"] == nil)
    }
}

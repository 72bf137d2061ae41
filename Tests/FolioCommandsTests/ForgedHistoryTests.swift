import Foundation
import Testing

/// SPEC §9: histories forged with plain git on top of a valid signed repository. Each is
/// rejected by `folio validate --since BASE` and by the pre-receive hook that
/// `folio hook install --server` puts in a bare repository (a plain `git push` runs it).
@Suite("Forged histories are rejected by validate --since and by the server's hook", .serialized)
struct ForgedHistoryTests {
    typealias Shop = SignatureTests.SignedShop

    /// One valid history to forge on: A accepted and partly paid, B pending, D declined, and
    /// C2's invoice E pending (another customer's).
    final class Base: @unchecked Sendable {
        let shop: Shop
        let a: String, b: String, d: String, e: String
        let base: String

        init() throws {
            let shop = try Shop()
            self.shop = shop
            try expectOK(shop.run(["party", "add", "otto@other.example", "--role", "buyer", "--customer", "C2", "--key", shop.key("buyer") + ".pub"]))
            let order2 = shop.dir.write("order2.json", """
                {"id": "O-2", "customer": {"id": "C2", "name": "Otto"}, "currency": "USD",
                 "items": [{"ref": "1", "description": "Hat", "quantity": "1", "unitPrice": 2500, "taxRate": "0"}]}
                """)
            try expectOK(shop.run(["order", "create", "--file", order2]))
            a = try shop.acceptedInvoice()
            try expectOK(shop.run(["invoice", "pay", a, "--amount", "10.00", "--reference", "P-1"], as: Shop.buyer))
            b = try #require(shop.json(["invoice", "create", "--order", "O-1", "--items", "2"])["id"] as? String)
            try expectOK(shop.run(["invoice", "send", b]))
            d = try #require(shop.json(["invoice", "create", "--order", "O-2"])["id"] as? String)
            try expectOK(shop.run(["invoice", "send", d]))
            try expectOK(shop.run(["invoice", "decline", d, "--reason", "not ours"], as: "otto@other.example", key: "buyer"))
            // E: C2's pending invoice (D's items came back when... D is declined, so a new order line).
            let order3 = shop.dir.write("order3.json", """
                {"id": "O-3", "customer": {"id": "C2", "name": "Otto"}, "currency": "USD",
                 "items": [{"ref": "1", "description": "Scarf", "quantity": "1", "unitPrice": 1500, "taxRate": "0"}]}
                """)
            try expectOK(shop.run(["order", "create", "--file", order3]))
            e = try #require(shop.json(["invoice", "create", "--order", "O-3"])["id"] as? String)
            try expectOK(shop.run(["invoice", "send", e]))
            base = try shop.head()
            let ok = try shop.run(["validate", "--since", try shop.commits().last!])
            try #require(ok.code == 0, "the base history is valid: \(ok.stdout)")
        }

        func path(_ id: String) throws -> String {
            try #require(shop.git(["ls-files", "invoices"]).stdout.split(separator: "\n").map(String.init).first { $0.hasSuffix("/\(id).json") })
        }
    }

    /// A copy of the base repository to forge in.
    struct Forge {
        let repo: String
        let keys: String

        /// Runs Python on the document at `path` (as `d`), writing it back in canonical form.
        func edit(_ path: String, _ code: String) throws {
            let script = "import json,sys\np=sys.argv[1]\nd=json.load(open(p))\n\(code)\nopen(p,'w').write(json.dumps(d,indent=2,ensure_ascii=False,sort_keys=True)+'\\n')\n"
            let r = try Tool.run("/usr/bin/env", ["python3", "-c", script, repo + "/" + path])
            try #require(r.code == 0, "\(r.stderr)")
        }

        func write(_ path: String, _ text: String) throws {
            let full = repo + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }

        /// Commits everything as `email`, signed with key `key` (nil: unsigned).
        func commit(_ email: String, key: String?, _ message: String, extra: [String] = []) throws {
            _ = try Tool.git(["add", "-A"], cwd: repo)
            var args = ["-c", "user.email=\(email)", "-c", "user.name=\(email)"]
            if let key { args += ["-c", "user.signingKey=\(keys)/\(key)", "-c", "gpg.format=ssh", "commit", "-q", "-S"] } else { args += ["commit", "-q", "--no-gpg-sign"] }
            let r = try Tool.git(args + ["--allow-empty", "-m", message] + extra, cwd: repo)
            try #require(r.code == 0, "\(r.stderr)")
        }

        func git(_ args: [String]) throws -> RunResult { try Tool.git(args, cwd: repo) }
    }

    typealias Forgery = (name: String, rule: String, force: Bool, make: @Sendable (Forge, Base) throws -> Void)

    static let seller = Shop.seller, buyer = Shop.buyer

    static let forgeries: [Forgery] = [
        ("an unsigned commit", "history/unsigned", false, { f, b in
            try f.edit(try b.path(b.b), "d['note']='unsigned'"); try f.commit(seller, key: nil, "note") }),
        ("a commit signed by a key that is not its author's", "history/wrong-key", false, { f, b in
            try f.edit(try b.path(b.b), "d['note']='forged'"); try f.commit(seller, key: "buyer", "note") }),
        ("--as a seller from a buyer's clone (the buyer's key, the seller's name)", "history/wrong-key", false, { f, b in
            try f.edit(try b.path(b.b), "d['lines'][0]['unitPrice']=1"); try f.commit(seller, key: "buyer", "Edit invoice") }),
        ("a buyer changing an amount", "history/buyer-content", false, { f, b in
            try f.edit(try b.path(b.b), "d['lines'][0]['unitPrice']=1"); try f.commit(buyer, key: "buyer", "cheaper") }),
        ("a seller adding an acceptance", "history/seller-answer", false, { f, b in
            try f.edit(try b.path(b.b), "d['events'].append({'id':'ev-x','type':'accepted','revision':d['revision'],'by':'\(seller)','at':'2030-01-01T00:00:00Z'})")
            try f.commit(seller, key: "seller", "accept for them") }),
        ("an accepted invoice's lines rewritten", "history/accepted-content", false, { f, b in
            try f.edit(try b.path(b.a), "d['lines'][0]['quantity']='2'"); try f.commit(seller, key: "seller", "fewer") }),
        ("a sent invoice deleted", "history/delete-sent", false, { f, b in
            _ = try f.git(["rm", "-q", try b.path(b.b)]); try f.commit(seller, key: "seller", "gone") }),
        ("a number changed", "history/number-changed", false, { f, b in
            try f.edit(try b.path(b.b), "d['number']='ZZ-00009'"); try f.commit(seller, key: "seller", "renumber") }),
        ("two numbers swapped", "history/number-changed", false, { f, b in
            let pa = try b.path(b.a), pb = try b.path(b.b)
            let na = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: f.repo + "/" + pa))) as? [String: Any])?["number"] as? String)
            let nb = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: f.repo + "/" + pb))) as? [String: Any])?["number"] as? String)
            try f.edit(pa, "d['number']='\(nb)'"); try f.edit(pb, "d['number']='\(na)'"); try f.commit(seller, key: "seller", "swap") }),
        ("an event removed", "history/event-dropped", false, { f, b in
            try f.edit(try b.path(b.b), "d['events']=[]"); try f.commit(seller, key: "seller", "never sent") }),
        ("a payment removed", "history/payment-dropped", false, { f, b in
            try f.edit(try b.path(b.a), "d['payments']=[]"); try f.commit(seller, key: "seller", "unpaid") }),
        ("a payment changed", "history/payment-changed", false, { f, b in
            try f.edit(try b.path(b.a), "d['payments'][0]['amount']=100000"); try f.commit(buyer, key: "buyer", "paid more") }),
        ("a buyer accepting another customer's invoice", "history/buyer-customer", false, { f, b in
            try f.edit(try b.path(b.e), "d['events'].append({'id':'ev-y','type':'accepted','revision':d['revision'],'by':'\(buyer)','at':'2030-01-01T00:00:00Z'})")
            try f.commit(buyer, key: "buyer", "accept") }),
        ("a series counter moved back", "history/series-back", false, { f, b in
            let series = try #require(f.git(["ls-files", ".folio/series"]).stdout.split(separator: "\n").first.map(String.init))
            try f.edit(series, "d['last']=0"); try f.commit(seller, key: "seller", "reset series") }),
        ("a buyer making itself a seller", "history/buyer-parties", false, { f, b in
            try f.edit(".folio/parties.json", "d['parties']['\(buyer)']['role']='seller'"); try f.commit(buyer, key: "buyer", "promote") }),
        ("a key replaced by a buyer", "history/buyer-parties", false, { f, b in
            try f.edit(".folio/parties.json", "d['parties']['\(seller)']['key']=d['parties']['\(buyer)']['key']"); try f.commit(buyer, key: "buyer", "my key now") }),
        ("an acceptance replayed from another invoice's content", "history/answer-content", false, { f, b in
            let source = f.repo + "/" + (try b.path(b.a))
            try f.edit(try b.path(b.b), "src=json.load(open('\(source)'))\nacc=[e for e in src['events'] if e['type']=='accepted'][0]\nd['events'].append(acc)")
            try f.commit(buyer, key: "buyer", "accept") }),
        ("an acceptance without the content it answered", "history/answer-content", false, { f, b in
            try f.edit(try b.path(b.b), "d['events'].append({'id':'ev-z','type':'accepted','revision':d['revision'],'by':'\(buyer)','at':'2030-01-01T00:00:00Z'})")
            try f.commit(buyer, key: "buyer", "accept") }),
        ("an edit of accepted content hidden in a merge commit", "history/accepted-content", false, { f, b in
            _ = try f.git(["checkout", "-q", "-b", "side"])
            try f.edit(try b.path(b.b), "d['note']='side note'"); try f.commit(seller, key: "seller", "side")
            _ = try f.git(["checkout", "-q", "main"])
            try f.edit(try b.path(b.e), "d['note']='main note'"); try f.commit(seller, key: "seller", "main")
            _ = try f.git(["-c", "user.email=\(seller)", "merge", "-q", "--no-ff", "--no-commit", "side"])
            try f.edit(try b.path(b.a), "d['lines'][0]['unitPrice']=1")
            try f.commit(seller, key: "seller", "Merge side") }),
        ("a change made in two steps (unreadable first, then fixed)", "history/unreadable", false, { f, b in
            try f.write(try b.path(b.a), "{ not json")
            try f.commit(seller, key: "seller", "step 1")
            _ = try f.git(["checkout", "HEAD~1", "--", try b.path(b.a)])
            try f.edit(try b.path(b.a), "d['lines'][0]['unitPrice']=1")
            try f.commit(seller, key: "seller", "step 2") }),
        ("a rewritten history (a payment commit dropped and replaced)", "history/rewritten", true, { f, b in
            _ = try f.git(["reset", "-q", "--hard", "HEAD~1"])
            try f.edit(try b.path(b.b), "d['note']='replaced'"); try f.commit(seller, key: "seller", "instead") }),
        ("a seller voiding an accepted invoice", "history/final-void", false, { f, b in
            try f.edit(try b.path(b.a), "d['events'].append({'id':'ev-v','type':'voided','revision':d['revision'],'by':'\(seller)','at':'2030-01-01T00:00:00Z'})")
            try f.commit(seller, key: "seller", "void") }),
        ("a seller resending a declined invoice", "history/resend", false, { f, b in
            try f.edit(try b.path(b.d), "d['events'].append({'id':'ev-s','type':'sent','revision':d['revision'],'by':'\(seller)','at':'2030-01-01T00:00:00Z'})")
            try f.commit(seller, key: "seller", "resend") }),
        ("a payment on a declined invoice", "history/payment-status", false, { f, b in
            try f.edit(try b.path(b.d), "d['payments'].append({'id':'pay-x','amount':100,'date':'2030-01-01','by':'\(seller)','at':'2030-01-01T00:00:00Z'})")
            try f.commit(seller, key: "seller", "pay") }),
        ("a re-dated acceptance", "history/event-changed", false, { f, b in
            try f.edit(try b.path(b.a), "[e.update({'at':'2020-01-01T00:00:00Z'}) for e in d['events'] if e['type']=='accepted']")
            try f.commit(buyer, key: "buyer", "earlier") }),
        ("a buyer editing .gitattributes", "history/buyer-files", false, { f, b in
            try f.write(".gitattributes", "* -merge\n"); try f.commit(buyer, key: "buyer", "no driver") }),
        ("a buyer adding a CI workflow", "history/buyer-files", false, { f, b in
            try f.write(".github/workflows/ci.yml", "on: push\n"); try f.commit(buyer, key: "buyer", "ci") }),
        ("a key changed in a commit no seller signed", "history/key-unsigned", false, { f, b in
            try f.edit(".folio/parties.json", "d['parties']['\(buyer)']['key']=d['parties']['\(seller)']['key']"); try f.commit(seller, key: nil, "keys") }),
        ("a commit by somebody who is not a party", "history/unknown-author", false, { f, b in
            try f.edit(try b.path(b.b), "d['note']='hi'"); try f.commit("eve@evil.example", key: "buyer", "hello") }),
    ]

    @Test("each forged history is rejected by validate --since and by a plain git push into a hooked bare repository")
    func forgedHistories() throws {
        let base = try Base()
        let work = TempDir("folio-forged")
        var rejected = 0
        for (n, forgery) in Self.forgeries.enumerated() {
            let repo = work.file("f\(n)")
            #expect(try Tool.run("/bin/cp", ["-a", base.shop.repo, repo]).code == 0)
            let f = Forge(repo: repo, keys: base.shop.dir.file("keys"))
            try forgery.make(f, base)
            let validate = try Tool.run(Tool.folioPath, ["-C", repo, "validate", "--since", base.base], cwd: work.path)
            let byValidate = validate.code == 1 && validate.stdout.contains(forgery.rule)
            #expect(byValidate, "\(forgery.name): validate --since should report \(forgery.rule): \(validate.stdout) \(validate.stderr)")
            // The server: a bare copy of the base with the hook; plain git pushes the forgery.
            let bare = work.file("f\(n).git")
            #expect(try Tool.git(["clone", "-q", "--bare", base.shop.repo, bare], cwd: work.path).code == 0)
            try expectOK(Tool.run(Tool.folioPath, ["hook", "install", "--server", bare], cwd: work.path))
            let push = try Tool.git(["push", bare, "HEAD:main"] + (forgery.force ? ["--force"] : []), cwd: repo)
            let byHook = push.code != 0 && push.stderr.contains(forgery.rule)
            #expect(byHook, "\(forgery.name): the hook should reject with \(forgery.rule): \(push.stderr)")
            #expect(try Tool.git(["rev-parse", "main"], cwd: bare).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == base.base, "\(forgery.name): the server kept its history")
            if byValidate && byHook { rejected += 1 }
        }
        #expect(rejected == Self.forgeries.count)
        #expect(Self.forgeries.count >= 20)
    }

    @Test("a valid push passes the hook, through git daemon and through folio sync; a refused one shows the finding to the user")
    func hookThroughDaemon() throws {
        let base = try Base()
        let work = TempDir("folio-daemon")
        let root = work.file("srv")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        #expect(try Tool.git(["clone", "-q", "--bare", base.shop.repo, root + "/shop.git"], cwd: work.path).code == 0)
        try expectOK(Tool.run(Tool.folioPath, ["hook", "install", "--server", root + "/shop.git"], cwd: work.path))
        let daemon = try GitDaemon(base: root)
        defer { daemon.stop() }
        let url = "git://127.0.0.1:\(daemon.port)/shop.git"
        _ = try Tool.git(["remote", "add", "origin", url], cwd: base.shop.repo)
        // A valid change by the seller, pushed by folio sync through the daemon: accepted.
        try expectOK(base.shop.run(["invoice", "update", base.b, "--set", "/note=fine"]))
        try expectOK(base.shop.run(["sync"]))
        #expect(try Tool.git(["rev-parse", "main"], cwd: root + "/shop.git").stdout == base.shop.git(["rev-parse", "HEAD"]).stdout)
        // A forged commit on top (the buyer's key, the seller's name): refused, and folio sync says why.
        let f = Forge(repo: base.shop.repo, keys: base.shop.dir.file("keys"))
        try f.edit(try base.path(base.b), "d['note']='forged'")
        try f.commit(Shop.seller, key: "buyer", "forged")
        let sync = try base.shop.run(["sync"])
        #expect(sync.code != 0 && sync.stderr.contains("history/wrong-key"), "\(sync.stderr)")
        #expect(try Tool.git(["rev-parse", "main"], cwd: root + "/shop.git").stdout != base.shop.git(["rev-parse", "HEAD"]).stdout)
    }
}

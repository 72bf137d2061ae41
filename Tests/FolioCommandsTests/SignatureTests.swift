import Foundation
import Testing

/// SPEC §9 through the binary: every commit Folio makes is signed with the acting party's
/// key, plain git verifies it, and nobody can act as somebody else.
@Suite("Signed commits, checked by plain git", .serialized)
struct SignatureTests {
    /// A repository that requires signatures: the seller's key from `folio init`, the buyer's
    /// added by the seller; each party acts with its own key (FOLIO_SIGNING_KEY).
    struct SignedShop {
        let dir = TempDir("folio-signed")
        var repo: String { dir.file("shop") }
        static let seller = Fixture.seller, buyer = Fixture.buyer

        func key(_ name: String) -> String { dir.file("keys/\(name)") }

        func makeKey(_ name: String) throws {
            try FileManager.default.createDirectory(atPath: dir.file("keys"), withIntermediateDirectories: true)
            let r = try Tool.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key(name)])
            try #require(r.code == 0, "\(r.stderr)")
        }

        init() throws {
            try makeKey("seller")
            try makeKey("buyer")
            try makeKey("seller-new")
            try expectOK(run(["init", repo, "--company", "Signed Co", "--currency", "USD", "--seller", Self.seller], as: Self.seller, key: "seller", cwd: dir.path))
            try expectOK(run(["party", "add", Self.buyer, "--role", "buyer", "--customer", "C1", "--key", key("buyer") + ".pub"]))
            let order = dir.write("order.json", """
                {"id": "O-1", "customer": {"id": "C1", "name": "Bea's Shop"}, "channel": "b2b", "currency": "USD",
                 "items": [{"ref": "1", "description": "Shirt", "quantity": "3", "unitPrice": 1999, "taxRate": "10"},
                           {"ref": "2", "description": "Coat", "quantity": "1", "unitPrice": 15000, "taxRate": "7.5"}]}
                """)
            try expectOK(run(["order", "create", "--file", order]))
        }

        @discardableResult
        func run(_ args: [String], as who: String = SignedShop.seller, key name: String? = nil, cwd: String? = nil, repo: String? = nil) throws -> RunResult {
            let keyName = name ?? (who == Self.buyer ? "buyer" : "seller")
            var full = cwd == nil ? ["-C", repo ?? self.repo] : []
            full += ["--as", who]
            return try Tool.run(Tool.folioPath, full + args, cwd: cwd ?? dir.path, env: ["FOLIO_SIGNING_KEY": key(keyName)])
        }

        func json(_ args: [String], as who: String = SignedShop.seller) throws -> [String: Any] {
            let r = try run(args + ["--json"], as: who)
            try #require(r.code == 0, "\(args): \(r.stderr)")
            return try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        }

        func git(_ args: [String], in folder: String? = nil) throws -> RunResult { try Tool.git(args, cwd: folder ?? repo) }
        func head(_ folder: String? = nil) throws -> String { try git(["rev-parse", "HEAD"], in: folder).stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
        func commits(_ folder: String? = nil) throws -> [String] { try git(["rev-list", "HEAD"], in: folder).stdout.split(separator: "\n").map(String.init) }

        /// A sent and accepted invoice: commits by the seller and by the buyer.
        func acceptedInvoice() throws -> String {
            let id = try #require(json(["invoice", "create", "--order", "O-1", "--items", "1"])["id"] as? String)
            try expectOK(run(["invoice", "send", id]))
            try expectOK(run(["invoice", "accept", id], as: Self.buyer))
            return id
        }
    }

    @Test("every commit Folio makes verifies with git verify-commit and git log --show-signature")
    func plainGitVerifies() throws {
        let shop = try SignedShop()
        let id = try shop.acceptedInvoice()
        try expectOK(shop.run(["invoice", "pay", id, "--amount", "10.00"], as: SignedShop.buyer))
        let commits = try shop.commits()
        #expect(commits.count == 7)
        for commit in commits {
            let r = try shop.git(["verify-commit", commit])
            #expect(r.code == 0, "\(commit): \(r.stderr)")
        }
        let log = try shop.git(["log", "--show-signature", "--format=%H %ae"]).stdout + shop.git(["log", "--show-signature", "--format=%H %ae"]).stderr
        let good = log.components(separatedBy: "Good \"git\" signature for ").count - 1
        #expect(good == commits.count, "\(log)")
        #expect(log.contains("Good \"git\" signature for \(SignedShop.buyer)"))
        let config = try shop.json(["config", "show"])
        #expect(config["requireSignatures"] as? Bool == true)
        try expectOK(shop.run(["validate", "--since", commits.last!]))
    }

    @Test("--as the seller with the buyer's key, or with no key, is refused and writes nothing")
    func noActingAsSomebodyElse() throws {
        let shop = try SignedShop()
        let id = try #require(shop.json(["invoice", "create", "--order", "O-1"])["id"] as? String)
        let head = try shop.head()
        let forged = try shop.run(["invoice", "update", id, "--set", "/note=pay twice"], as: SignedShop.seller, key: "buyer")
        #expect(forged.code == 1 && forged.stderr.contains("needs that party's key"), "\(forged.stderr)")
        let keyless = try Tool.run(Tool.folioPath, ["-C", shop.repo, "--as", SignedShop.seller, "invoice", "update", id, "--set", "/note=x"], cwd: shop.dir.path,
                                   env: ["FOLIO_SIGNING_KEY": "", "HOME": shop.dir.path])
        #expect(keyless.code == 1 && keyless.stderr.contains("no signing key is configured"), "\(keyless.stderr)")
        #expect(try shop.head() == head)
        #expect(try shop.git(["status", "--porcelain"]).stdout.isEmpty)
    }

    @Test("init without a key says what to do; --unsigned makes a repository that does not require signatures")
    func initWithoutKey() throws {
        let dir = TempDir("folio-nokey")
        let env = ["HOME": dir.path, "FOLIO_SIGNING_KEY": ""]
        let r = try Tool.run(Tool.folioPath, ["init", dir.file("a"), "--company", "A", "--currency", "EUR", "--seller", "a@a.example"], cwd: dir.path, env: env)
        #expect(r.code == 1 && r.stderr.contains("ssh-keygen -t ed25519") && r.stderr.contains("--unsigned"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("a/.git")))
        try expectOK(Tool.run(Tool.folioPath, ["init", dir.file("b"), "--company", "B", "--currency", "EUR", "--seller", "b@b.example", "--unsigned"], cwd: dir.path, env: env))
        let show = try Tool.run(Tool.folioPath, ["-C", dir.file("b"), "config", "show", "--json"], cwd: dir.path, env: env)
        #expect(!show.stdout.contains("\"requireSignatures\": true"), "\(show.stdout)")
    }

    @Test("key rotation: commits signed with the old key before it still verify; after it only the new key does")
    func keyRotation() throws {
        let shop = try SignedShop()
        let id = try #require(shop.json(["invoice", "create", "--order", "O-1"])["id"] as? String)
        let before = try shop.head()
        // The rotation commit is signed with the key the seller holds until then.
        try expectOK(shop.run(["party", "key", SignedShop.seller, "--key", shop.key("seller-new") + ".pub"]))
        let old = try shop.run(["invoice", "update", id, "--set", "/note=old key"], key: "seller")
        #expect(old.code == 1 && old.stderr.contains("needs that party's key"), "the old key no longer signs: \(old.stderr)")
        try expectOK(shop.run(["invoice", "update", id, "--set", "/note=new key"], key: "seller-new"))
        #expect(try shop.git(["verify-commit", before]).code == 0, "a commit signed with the old key before the rotation still verifies")
        #expect(try shop.git(["verify-commit", "HEAD"]).code == 0)
        // A commit made after the rotation with the old key, by plain git: git and Folio refuse it.
        try "x".write(toFile: shop.repo + "/stray.txt", atomically: true, encoding: .utf8)
        _ = try shop.git(["add", "stray.txt"])
        let later = "@\(Int(Date().timeIntervalSince1970) + 3_600) +0000"     // an hour after the rotation
        let commit = try Tool.git(["-c", "user.email=\(SignedShop.seller)", "-c", "user.name=Sam", "-c", "user.signingKey=\(shop.key("seller"))",
                                   "commit", "-q", "-S", "-m", "late old-key commit"], cwd: shop.repo,
                                  env: ["GIT_AUTHOR_DATE": later, "GIT_COMMITTER_DATE": later])
        try #require(commit.code == 0, "\(commit.stderr)")
        #expect(try shop.git(["verify-commit", "HEAD"]).code != 0, "after the rotation the old key does not verify")
        let validate = try shop.run(["validate", "--since", before])
        #expect(validate.code == 1 && validate.stdout.contains("history/wrong-key"), "\(validate.stdout)")
    }

    @Test("sync's merge commit and a plain git pull's (commit.gpgSign) are signed, verify with git, and pass validate --since")
    func mergesAreSigned() throws {
        let shop = try SignedShop()
        let id = try #require(shop.json(["invoice", "create", "--order", "O-1"])["id"] as? String)
        try expectOK(shop.run(["invoice", "send", id]))
        let bare = shop.dir.file("remote.git")
        #expect(try Tool.git(["init", "-q", "--bare", "-b", "main", bare], cwd: shop.dir.path).code == 0)
        _ = try shop.git(["remote", "add", "origin", bare])
        try expectOK(shop.run(["sync"]))
        let start = try shop.head()
        let buyer = shop.dir.file("buyer")
        let clone = try Tool.run(Tool.folioPath, ["--as", SignedShop.buyer, "clone", bare, buyer], cwd: shop.dir.path, env: ["FOLIO_SIGNING_KEY": shop.key("buyer")])
        #expect(clone.code == 0 && !clone.stderr.contains("signs with"), "a clone with the party's key needs no advice: \(clone.stderr)")
        let keyless = try Tool.run(Tool.folioPath, ["--as", SignedShop.buyer, "clone", bare, shop.dir.file("keyless")], cwd: shop.dir.path,
                                   env: ["FOLIO_SIGNING_KEY": "", "HOME": shop.dir.path])
        #expect(keyless.code == 0 && keyless.stderr.contains("user.signingKey"), "a clone without the key is told what to do: \(keyless.stderr)")
        // Offline on both sides, then folio sync on the buyer's side: a signed merge commit.
        try expectOK(shop.run(["invoice", "request-changes", id, "--note", "two shirts"], as: SignedShop.buyer, repo: buyer))
        try expectOK(shop.run(["invoice", "update", id, "--set", "/note=thanks"]))
        try expectOK(shop.run(["sync"]))
        try expectOK(shop.run(["sync"], as: SignedShop.buyer, repo: buyer))
        #expect(try Tool.git(["rev-list", "--merges", "-1", "HEAD"], cwd: buyer).stdout.isEmpty == false)
        let merge = try Tool.git(["verify-commit", "HEAD"], cwd: buyer)
        #expect(merge.code == 0, "folio sync's merge commit verifies: \(merge.stderr)")
        // The seller edits again and merges with plain git, configured to sign.
        try expectOK(shop.run(["invoice", "update", id, "--set", "/note=two shirts it is"]))
        try expectOK(shop.run(["invoice", "pay", id, "--amount", "5.00"], as: SignedShop.buyer, repo: buyer))
        try expectOK(shop.run(["sync"], as: SignedShop.buyer, repo: buyer))
        let pull = try Tool.git(["-c", "commit.gpgSign=true", "-c", "user.signingKey=\(shop.key("seller"))", "-c", "user.email=\(SignedShop.seller)",
                                 "pull", "--no-edit", "origin", "main"], cwd: shop.repo)
        #expect(pull.code == 0, "\(pull.stderr)")
        #expect(try shop.git(["verify-commit", "HEAD"]).code == 0, "the plain git merge commit is signed")
        let validate = try shop.run(["validate", "--since", start])
        #expect(validate.code == 0, "\(validate.stdout)")
    }

    @Test("a buyer's answer records the content it answered and stays provable after a rebase; invoice log shows who signed what")
    func answersStayProvable() throws {
        let shop = try SignedShop()
        let id = try shop.acceptedInvoice()
        let shown = try shop.json(["invoice", "show", id])
        let accepted = try #require((shown["events"] as? [[String: Any]])?.first { $0["type"] as? String == "accepted" })
        #expect((accepted["contentHash"] as? String)?.hasPrefix("sha256:") == true)
        #expect((accepted["signature"] as? String)?.contains("BEGIN SSH SIGNATURE") == true)
        var log = try shop.run(["invoice", "log", id])
        #expect(log.stdout.contains("signed by \(SignedShop.buyer), verified"), "\(log.stdout)")
        #expect(log.stdout.contains("answer accepted of revision 1 by \(SignedShop.buyer): signed by \(SignedShop.buyer), verified"), "\(log.stdout)")
        // Rebase the acceptance with plain git: its commit signature is gone, the answer's is not.
        _ = try shop.git(["-c", "user.email=x@y.z", "-c", "user.name=x", "-c", "commit.gpgSign=false", "commit", "-q", "--allow-empty", "--no-gpg-sign", "-m", "later"])
        let rebase = try shop.git(["-c", "user.email=x@y.z", "-c", "user.name=x", "rebase", "-q", "--no-gpg-sign", "--force-rebase", "HEAD~3"])
        #expect(rebase.code == 0, "\(rebase.stderr)")
        log = try shop.run(["invoice", "log", id])
        #expect(log.stdout.contains("unsigned"), "the rebased commits lost their signatures: \(log.stdout)")
        #expect(log.stdout.contains("answer accepted of revision 1 by \(SignedShop.buyer): signed by \(SignedShop.buyer), verified"), "\(log.stdout)")
    }

    @Test("with no user.signingKey, init and every write use the key ssh-agent holds (passphrase-protected); git verifies")
    func agentSigns() throws {
        let dir = TempDir("folio-agent-shop")
        let key = dir.file("ana")
        #expect(try Tool.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "secret", "-f", key]).code == 0)
        let agent = try SSHAgentProcess()
        try agent.add(key, passphrase: "secret")
        let env = ["SSH_AUTH_SOCK": agent.socket, "HOME": dir.path]
        try expectOK(Tool.run(Tool.folioPath, ["--as", "ana@a.example", "init", dir.file("shop"), "--company", "A", "--currency", "EUR"], cwd: dir.path, env: env))
        let parties = try String(contentsOfFile: dir.file("shop/.folio/parties.json"), encoding: .utf8)
        let pub = try String(contentsOfFile: key + ".pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        #expect(parties.contains(pub), "the agent's key became the seller's")
        try expectOK(Tool.run(Tool.folioPath, ["-C", dir.file("shop"), "--as", "ana@a.example", "config", "set", "terms", "Net 30"], cwd: dir.path, env: env))
        for commit in try Tool.git(["rev-list", "HEAD"], cwd: dir.file("shop")).stdout.split(separator: "\n") {
            #expect(try Tool.git(["verify-commit", String(commit)], cwd: dir.file("shop")).code == 0)
        }
        // A passphrase-protected key named by user.signingKey, without the agent: a sentence.
        let locked = try Tool.run(Tool.folioPath, ["-C", dir.file("shop"), "--as", "ana@a.example", "config", "set", "terms", "Net 10"], cwd: dir.path,
                                  env: ["HOME": dir.path, "FOLIO_SIGNING_KEY": key])
        #expect(locked.code != 0 && locked.stderr.contains("ssh-add"), "\(locked.stderr)")
    }
}

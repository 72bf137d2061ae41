public import Foundation
public import FolioGit
public import FolioModel
public import FolioTrust

/// Who signs a commit (SPEC §9): the acting party, with its own key. The key is found the way
/// git finds a signing key: `FOLIO_SIGNING_KEY`, else `git config user.signingKey` (a private
/// key file, or the `.pub` beside one).
public enum SigningKeys {
    /// The key this user signs with (nil: none), found as git finds it: `FOLIO_SIGNING_KEY`,
    /// else `user.signingKey` (a private key file; a `.pub` file or a literal public key whose
    /// private half ssh-agent holds), else ssh-agent's key (`matching` the party's, when it
    /// holds several). Throws when a key is configured but cannot sign.
    public static func find(git: GitRepository?, environment: [String: String] = ProcessInfo.processInfo.environment,
                            matching wanted: SSHPublicKey? = nil) throws -> (any SSHSigner)? {
        let fromGit = git.map { try? $0.config("user.signingKey") } ?? (try? GitRepository.userConfig("user.signingKey"))
        let source = environment["FOLIO_SIGNING_KEY"] != nil ? "FOLIO_SIGNING_KEY" : "git config user.signingKey"
        let agent = environment["SSH_AUTH_SOCK"].flatMap { $0.isEmpty ? nil : $0 }
        func fromAgent(_ key: SSHPublicKey?) throws -> (any SSHSigner)? {
            guard let agent else {
                if key == nil { return nil }
                throw FolioError.identity("\(source) names a public key whose private half would be in ssh-agent, and no agent is running (SSH_AUTH_SOCK)")
            }
            let keys: [SSHAgentKey]
            do { keys = try SSHAgentKey.keys(socket: agent) } catch { throw FolioError.identity(error.description) }
            if let key {
                guard let held = keys.first(where: { $0.publicKey == key }) else { throw FolioError.identity("ssh-agent does not hold the key \(key.fingerprint) that \(source) names; `ssh-add` it") }
                return held
            }
            return keys.first { $0.publicKey == wanted } ?? keys.first
        }
        guard let configured = environment["FOLIO_SIGNING_KEY"].flatMap({ $0.isEmpty ? nil : $0 }) ?? fromGit ?? nil else {
            return environment["FOLIO_SIGNING_KEY"] == "" ? nil : try fromAgent(nil)
        }
        if configured.hasPrefix("key::") || configured.hasPrefix("ssh-") {
            do { return try fromAgent(try SSHPublicKey(parsing: String(configured.hasPrefix("key::") ? configured.dropFirst(5) : configured[...]))) } catch let e as TrustError {
                throw FolioError.identity("\(source): \(e.description)")
            }
        }
        var path = configured
        if path.hasPrefix("~/") { path = NSHomeDirectory() + path.dropFirst(1) }
        let privatePath = path.hasSuffix(".pub") ? String(path.dropLast(4)) : path
        if let text = try? String(contentsOfFile: privatePath, encoding: .utf8), text.contains("PRIVATE KEY") {
            do { return try SSHSigningKey(openSSH: text, file: privatePath) } catch TrustError.encryptedPrivateKey(let file) {
                // A passphrase: the agent may hold it unlocked.
                if let pub = try? String(contentsOfFile: privatePath + ".pub", encoding: .utf8), let key = try? SSHPublicKey(parsing: pub), agent != nil {
                    return try fromAgent(key)
                }
                throw FolioError.identity(TrustError.encryptedPrivateKey(file).description)
            } catch { throw FolioError.identity("\(error)") }
        }
        if path.hasSuffix(".pub"), let pub = try? String(contentsOfFile: path, encoding: .utf8) {
            do { return try fromAgent(try SSHPublicKey(parsing: pub)) } catch let e as TrustError { throw FolioError.identity("\(path): \(e.description)") }
        }
        throw FolioError.identity("the signing key \(path) cannot be read (set by \(source))")
    }

    /// A public key given on the command line: the key itself, or the path of a `.pub` file.
    public static func publicKey(_ text: String) throws -> SSHPublicKey {
        var source = text
        if !text.hasPrefix("ssh-") {
            let path = text.hasPrefix("~/") ? NSHomeDirectory() + text.dropFirst(1) : text
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw FolioError.usage("--key \"\(text)\" is neither an ssh-ed25519 public key nor a readable .pub file")
            }
            source = contents
        }
        do { return try SSHPublicKey(parsing: source) } catch { throw FolioError.usage("--key: \(error.description)") }
    }

    /// What to tell a user who has no key.
    public static let howToMakeOne = "create one with `ssh-keygen -t ed25519 -N '' -f ~/.ssh/folio_ed25519` and run `git config --global user.signingKey ~/.ssh/folio_ed25519` (or set FOLIO_SIGNING_KEY)"

    /// The key `actor` signs with, or nil when the commit goes unsigned (the repository does
    /// not require signatures and the party has no key, or no key of its is at hand).
    /// Refuses when signatures are required and this clone cannot sign as the actor: typing
    /// someone else's email is no way in.
    static func signer(for actor: Actor, required: Bool, key: (any SSHSigner)?) throws -> (any SSHSigner)? {
        let partyKey = actor.party.key.flatMap { try? SSHPublicKey(parsing: $0) }
        if let partyKey, let key, key.publicKey == partyKey { return key }
        guard required else { return nil }
        guard let partyKey else {
            throw FolioError.refused(Refusal("this repository requires signed commits and \(actor.email) has no key in parties.json; a seller adds it with `folio party key \(actor.email) --key \"ssh-ed25519 …\"`"))
        }
        guard let key else {
            throw FolioError.refused(Refusal("this repository requires signed commits: acting as \(actor.email) needs that party's key (\(partyKey.fingerprint)), and no signing key is configured here; point `git config user.signingKey` (or FOLIO_SIGNING_KEY) at its private key file"))
        }
        throw FolioError.refused(Refusal("this repository requires signed commits: acting as \(actor.email) needs that party's key (\(partyKey.fingerprint)), but this clone signs with \(key.publicKey.fingerprint); nothing was written"))
    }

    /// git's allowed-signers file for `parties`: every party's key for its email, retired keys
    /// only for commits made before their rotation, so `git verify-commit` and `git log
    /// --show-signature` check Folio's signatures with plain git.
    public static func allowedSigners(_ parties: Parties) -> String {
        var lines: [String] = []
        for (email, party) in parties.parties.sorted(by: { $0.key < $1.key }) {
            if let key = party.key.flatMap({ try? SSHPublicKey(parsing: $0) }) { lines.append("\(email) namespaces=\"git\" \(key.openSSH)") }
            for retired in party.retiredKeys ?? [] {
                guard let key = try? SSHPublicKey(parsing: retired.key) else { continue }
                let until = retired.until.filter(\.isNumber).prefix(14)
                lines.append("\(email) namespaces=\"git\",valid-before=\"\(until)Z\" \(key.openSSH)")
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }
}

extension FolioRepository {
    /// Writes `.git/folio/allowed_signers` from the parties at HEAD and points git at it
    /// (`gpg.format ssh`, `gpg.ssh.allowedSignersFile`). Run after init, clone, sync and every
    /// change of parties.json.
    public func refreshAllowedSigners() throws {
        guard let parties = try? Snapshot(git: git, commit: try head()).parties() else { return }
        let folder = git.gitDir + "/folio"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/allowed_signers"
        let text = SigningKeys.allowedSigners(parties)
        if (try? String(contentsOfFile: path, encoding: .utf8)) != text {
            do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch { throw FolioError.io("\(path): \(error.localizedDescription)") }
        }
        if (try? git.config("gpg.ssh.allowedSignersFile")) != path { try git.setConfig("gpg.ssh.allowedSignersFile", path) }
        if (try? git.config("gpg.format")) != "ssh" { try git.setConfig("gpg.format", "ssh") }
    }

    /// What a user who cloned as `email` must do before acting, if anything: the repository
    /// requires signatures and this clone has no key that signs as that party (nil: ready).
    public func signingAdvice(for email: String?) -> String? {
        guard let snap = try? snapshot(), let config = try? snap.config() else { return nil }
        let required = config.requireSignatures ?? false
        let key: (any SSHSigner)?
        do { key = try SigningKeys.find(git: git, matching: (try? snap.parties())?[email ?? ""]?.key.flatMap { try? SSHPublicKey(parsing: $0) }) } catch { return "\(error)" }
        guard let email = email?.lowercased() else {
            return required && key == nil ? "this repository requires signed commits and no signing key is configured here; \(SigningKeys.howToMakeOne)" : nil
        }
        guard let party = (try? snap.parties())?[email] else { return nil }
        if let partyKey = party.key.flatMap({ try? SSHPublicKey(parsing: $0) }) {
            if key?.publicKey == partyKey { return nil }
            let have = key.map { "this clone signs with \($0.publicKey.fingerprint)" } ?? "no signing key is configured here"
            return "\(email) signs with \(partyKey.fingerprint) and \(have): point `git config user.signingKey` at that private key file before acting"
        }
        guard required else { return nil }
        let mine = key.map { " (yours: `folio party key \(email) --key '\($0.publicKey.openSSH)'`)" } ?? "; \(SigningKeys.howToMakeOne)"
        return "this repository requires signed commits and \(email) has no key yet: a seller adds it\(mine)"
    }

    /// The signer for a merge commit that `email` makes on `parent` (sync): the same rule as for
    /// every other commit.
    public func mergeSigner(for email: String, parent: GitOID) throws -> CommitSigner? {
        let parties = (try? snapshot(at: parent).parties()) ?? Parties()
        guard let party = parties[email] else {
            let required = (try? snapshot(at: parent).config().requireSignatures) ?? nil ?? false
            if required { throw FolioError.identity("this repository requires signed commits and \(email) is not a party of it; sync as a party (--as EMAIL)") }
            return nil
        }
        return try commitSigner(for: Actor(email: email.lowercased(), party: party), parent: parent)
    }

    /// The signer for a commit by `actor` on `parent` (whose settings decide whether signatures
    /// are required).
    func commitSigner(for actor: Actor, parent: GitOID?) throws -> CommitSigner? {
        if let serverSigner { return { data in try serverSigner.sign(data, namespace: "git") } }
        let required = (try? Snapshot(git: git, commit: parent).config().requireSignatures) ?? nil ?? false
        let partyKey = actor.party.key.flatMap { try? SSHPublicKey(parsing: $0) }
        guard let key = try SigningKeys.signer(for: actor, required: required, key: try SigningKeys.find(git: git, matching: partyKey)) else { return nil }
        return { data in try key.sign(data, namespace: "git") }
    }
}

/// The key `folio serve` signs with (SPEC §11), found as every signing key is.
public struct ServerKey: Sendable {
    public let signer: any SSHSigner

    /// This clone's signing key, or nil when none is configured.
    public static func find(repo: FolioRepository) throws -> ServerKey? {
        try SigningKeys.find(git: repo.git).map(ServerKey.init)
    }

    /// The server party of `parties` that holds this key, if any: only then does the server sign
    /// for the parties it authenticates.
    public func party(in parties: Parties) -> String? {
        parties.parties.filter { $0.value.role == .server && $0.value.key.flatMap { try? SSHPublicKey(parsing: $0) } == signer.publicKey }
            .keys.sorted().first
    }

    public var openSSH: String { signer.publicKey.openSSH }
}

import Foundation
import FolioGit
import FolioModel
import FolioTrust

/// Who signs a commit (SPEC §9): the acting party, with its own key. The key is found the way
/// git finds a signing key: `FOLIO_SIGNING_KEY`, else `git config user.signingKey` (a private
/// key file, or the `.pub` beside one).
public enum SigningKeys {
    /// The configured key (nil: none configured); throws when one is configured but unusable.
    public static func find(git: GitRepository?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SSHSigningKey? {
        let fromGit = git.map { try? $0.config("user.signingKey") } ?? (try? GitRepository.userConfig("user.signingKey"))
        let configured = environment["FOLIO_SIGNING_KEY"].flatMap { $0.isEmpty ? nil : $0 } ?? fromGit ?? nil
        guard var path = configured else { return nil }
        if path.hasPrefix("key::") || path.hasPrefix("ssh-") {
            throw FolioError.identity("user.signingKey holds a public key, whose private half would be in ssh-agent; Folio reads private key files only: point user.signingKey (or FOLIO_SIGNING_KEY) at the private key file")
        }
        if path.hasPrefix("~/") { path = NSHomeDirectory() + path.dropFirst(1) }
        if path.hasSuffix(".pub") { path = String(path.dropLast(4)) }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw FolioError.identity("the signing key \(path) cannot be read (set by \(environment["FOLIO_SIGNING_KEY"] != nil ? "FOLIO_SIGNING_KEY" : "git config user.signingKey"))")
        }
        do { return try SSHSigningKey(openSSH: text, file: path) } catch { throw FolioError.identity(error.description) }
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
    static func signer(for actor: Actor, required: Bool, key: SSHSigningKey?) throws -> SSHSigningKey? {
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
        let key: SSHSigningKey?
        do { key = try SigningKeys.find(git: git) } catch { return "\(error)" }
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
        let required = (try? Snapshot(git: git, commit: parent).config().requireSignatures) ?? nil ?? false
        guard let key = try SigningKeys.signer(for: actor, required: required, key: try SigningKeys.find(git: git)) else { return nil }
        return { data in try key.sign(data) }
    }
}

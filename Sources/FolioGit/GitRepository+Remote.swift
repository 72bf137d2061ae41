import CLibgit2
import Foundation

/// A reference that a fetch moved: `old` nil when it was created, `new` nil when it was deleted.
public struct GitRefUpdate: Sendable, Equatable {
    public let ref: String
    public let old: GitOID?
    public let new: GitOID?

    public init(ref: String, old: GitOID?, new: GitOID?) {
        self.ref = ref
        self.old = old
        self.new = new
    }
}

/// What the remote said about one pushed reference.
public struct GitPushResult: Sendable, Equatable {
    /// The remote reference that was pushed ("refs/heads/main").
    public let ref: String
    public let accepted: Bool
    /// Why it was rejected ("non-fast-forward …", "pre-receive hook declined: <the hook's output>");
    /// nil when accepted.
    public let message: String?

    public init(ref: String, accepted: Bool, message: String?) {
        self.ref = ref
        self.accepted = accepted
        self.message = message
    }
}

// MARK: - Remote operations

/// Where a fetch or push goes: a configured remote, or a URL.
enum GitRemoteTarget: CustomStringConvertible {
    case named(String)
    case url(String)

    var description: String {
        switch self {
        case .named(let name): "remote \(name)"
        case .url(let url): url
        }
    }
}
//
// Transports are libgit2's own: local paths and file:// (in-process, so the remote's hooks never
// run), git:// (plain TCP), ssh:// and scp-like `user@host:path` (libssh2), http(s)://.
//
// Credentials: the `credentials` callback below offers, once each and only when libgit2 asks for
// that kind, (1) the user name from the URL (else $USER, as ssh does) when ssh asks for one first,
// (2) a key from the running ssh-agent (`git_credential_ssh_key_from_agent`, SSH_AUTH_SOCK), and
// (3) the platform's default credentials (`git_credential_default_new`: NTLM/Negotiate for http).
// When none of those is accepted (or the server wants a user name and password, which libgit2
// takes from the URL itself when it holds `user:password@`), it gives up with a GitError whose
// code is GIT_EAUTH (-16) and whose message says what was tried — no prompting, no credential
// helpers, no retry loop. Server certificates and ssh host keys are checked by libgit2's defaults
// (system CA store; ~/.ssh/known_hosts since 1.5.1): there is no certificate_check callback.

extension GitRepository {
    /// Clones `url` (a local path, file://, git://, ssh or https URL) into `path`, non-bare, with
    /// a remote "origin" and, when `checkout` is true, the remote's default branch checked out
    /// (working tree and index); with `checkout` false, HEAD and the branch are set but no file is
    /// written. libgit2 removes what it created at `path` when the clone fails.
    ///
    /// Cloning an empty repository gives an unborn HEAD; libgit2 1.5 cannot learn the remote's
    /// unborn branch name, and would default to `init.defaultBranch` or "master", so HEAD is then
    /// pointed at the unborn "main", Folio's branch.
    public static func clone(url: String, to path: String, checkout: Bool = true) throws -> GitRepository {
        LibGit2.ensureInitialized()
        let target = tidyClonePath(path)
        var options = git_clone_options()
        try check(git_clone_options_init(&options, UInt32(GIT_CLONE_OPTIONS_VERSION)), "clone options")
        options.checkout_opts.checkout_strategy = checkout ? GIT_CHECKOUT_SAFE.rawValue : GIT_CHECKOUT_NONE.rawValue
        // Same reason as checkoutHead: Folio's documents are canonical bytes that filters would only alter.
        options.checkout_opts.disable_filters = 1
        let state = RemoteCallbackState(url: url)
        state.install(into: &options.fetch_opts.callbacks)
        var raw: OpaquePointer?
        let code = withExtendedLifetime(state) { git_clone(&raw, url, target, &options) }
        if code < 0 { throw state.error(code, "clone \(url) into \(path)") }
        // Reopened through `open` (the initialiser is private to GitRepository.swift): the handle
        // libgit2 returned is released first.
        git_repository_free(raw)
        let repository = try open(at: target)
        if try repository.headCommit() == nil, try repository.headReference() != "refs/heads/main" {
            try check(git_repository_set_head(repository.pointer, "refs/heads/main"), "point HEAD of the empty clone at main")
        }
        // A bare remote made by `git init --bare` points its HEAD at master while Folio pushed
        // main: the clone then has no branch of its own. Take main, tracking the remote's, as
        // git would after `git checkout main`.
        if try repository.headCommit() == nil, let remoteMain = try repository.referenceTarget("refs/remotes/origin/main") {
            try repository.updateRef("refs/heads/main", to: remoteMain, expected: nil, logMessage: "clone: main from origin/main")
            try repository.setConfig("branch.main.remote", "origin")
            try repository.setConfig("branch.main.merge", "refs/heads/main")
            if checkout { try repository.checkoutHead(force: false) }
        }
        return repository
    }

    /// The URL of remote `name`; nil when there is no such remote.
    public func remoteURL(_ name: String) throws -> String? {
        var remote: OpaquePointer?
        let code = git_remote_lookup(&remote, pointer, name)
        if code == notFoundCode { return nil }
        try check(code, "look up remote \(name)")
        defer { git_remote_free(remote) }
        return git_remote_url(remote).map { String(cString: $0) }
    }

    /// Adds remote `name` with git's default fetch refspec (+refs/heads/*:refs/remotes/NAME/*).
    /// Throws (libgit2 code -4, GIT_EEXISTS) when a remote of that name exists.
    public func addRemote(_ name: String, url: String) throws {
        var remote: OpaquePointer?
        try check(git_remote_create(&remote, pointer, name, url), "add remote \(name) (\(url))")
        git_remote_free(remote)
    }

    /// `git fetch REMOTE` with the remote's configured refspecs (tags: git's automatic following).
    /// Returns the remote-tracking references that moved (refs/remotes/REMOTE/…), sorted by name.
    ///
    /// Throws `.notFound("remote …")` when there is no such remote, and `.libgit2` (the operation
    /// names remote and URL, the message is the transport's) when the URL is unreachable or there
    /// is no repository there.
    public func fetch(remote name: String) throws -> [GitRefUpdate] {
        let prefix = "refs/remotes/\(name)/"
        return try fetch(.named(name), refspec: nil).filter { $0.ref.hasPrefix(prefix) }
    }

    /// `git fetch URL +refs/heads/BRANCH:TRACKINGREF`, with no remote in the configuration.
    public func fetch(url: String, branch: String, into trackingRef: String) throws -> [GitRefUpdate] {
        try fetch(.url(url), refspec: "+refs/heads/\(branch):\(trackingRef)")
    }

    private func fetch(_ target: GitRemoteTarget, refspec: String?) throws -> [GitRefUpdate] {
        try withRemote(target) { remote, url in
            var options = git_fetch_options()
            try check(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), "fetch options")
            let state = RemoteCallbackState(url: url)
            state.install(into: &options.callbacks)
            let code = withExtendedLifetime(state) {
                withRefspecs(refspec.map { [$0] } ?? []) { specs in git_remote_fetch(remote, refspec == nil ? nil : specs, &options, nil) }
            }
            if code < 0 { throw state.error(code, "fetch from \(target) (\(url))") }
            return state.updatedRefs.sorted { $0.ref < $1.ref }
        }
    }

    /// What the remote's `branch` points at now (`git ls-remote REMOTE refs/heads/BRANCH`):
    /// nil when the remote has no such branch. Only the remote's reference list is read, no
    /// pack is negotiated, so asking many remotes whether they moved stays cheap.
    public func remoteBranchTip(url: String, branch: String) throws -> GitOID? {
        try withRemote(.url(url)) { remote, url in
            var callbacks = git_remote_callbacks()
            try check(git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION)), "remote callbacks")
            let state = RemoteCallbackState(url: url)
            state.install(into: &callbacks)
            return try withExtendedLifetime(state) {
                let code = git_remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, nil, nil)
                if code < 0 { throw state.error(code, "list the references of \(url)") }
                defer { git_remote_disconnect(remote) }
                var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
                var count = 0
                try check(git_remote_ls(&heads, &count, remote), "list the references of \(url)")
                let wanted = "refs/heads/" + branch
                for i in 0..<count {
                    guard let head = heads?[i] else { continue }
                    if String(cString: head.pointee.name) == wanted { return GitOID(head.pointee.oid) }
                }
                return nil
            }
        }
    }

    /// The commit a reference resolves to, following symbolic references ("HEAD",
    /// "refs/remotes/origin/main", "refs/heads/main"); nil when it does not exist or is unborn.
    /// Takes a full reference name, not a revision expression (see `resolveCommit`).
    public func resolveReference(_ name: String) throws -> GitOID? {
        try referenceTarget(name)
    }

    /// `git push REMOTE LOCALREF:REMOTEREF`, forced only when asked.
    ///
    /// A rejection is a result, not an error: `accepted` false with the reason in `message`. That
    /// covers the server's verdict (read through libgit2's push_update_reference callback, since
    /// `git_remote_push` succeeds even when the server refuses a reference), with whatever the
    /// server printed meanwhile (a hook's output) appended, and libgit2's own non-fast-forward check
    /// made before anything is sent (GIT_ENONFASTFORWARD: the remote's tip is unknown locally or
    /// not an ancestor of LOCALREF), so a caller can fetch, merge and try again.
    /// Throws for everything else: no such remote, unreachable URL, missing LOCALREF, authentication.
    /// On acceptance libgit2 also moves the matching remote-tracking reference. `force`
    /// replaces the remote's branch whatever it holds (only a share's owner does that).
    public func push(remote name: String, localRef: String, remoteRef: String, force: Bool = false) throws -> GitPushResult {
        try push(.named(name), localRef: localRef, remoteRef: remoteRef, force: force)
    }

    /// The same, to a URL with no remote in the configuration (no remote-tracking reference moves).
    public func push(url: String, localRef: String, remoteRef: String, force: Bool = false) throws -> GitPushResult {
        try push(.url(url), localRef: localRef, remoteRef: remoteRef, force: force)
    }

    private func push(_ target: GitRemoteTarget, localRef: String, remoteRef: String, force: Bool) throws -> GitPushResult {
        for ref in [localRef, remoteRef] where ref.isEmpty || ref.hasPrefix("+") || ref.contains(":") {
            throw GitError.invalidArgument("push needs plain reference names, got \"\(ref)\" (no force, no refspec)")
        }
        return try withRemote(target) { remote, url in
            var options = git_push_options()
            try check(git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)), "push options")
            let state = RemoteCallbackState(url: url)
            state.install(into: &options.callbacks)
            let code = withExtendedLifetime(state) {
                withRefspecs(["\(force ? "+" : "")\(localRef):\(remoteRef)"]) { specs in git_remote_push(remote, specs, &options) }
            }
            if code == GIT_ENONFASTFORWARD.rawValue {
                let detail = GitError.last(code, "push").libgit2Message
                return GitPushResult(ref: remoteRef, accepted: false,
                                     message: "non-fast-forward: fetch and merge first (\(detail))")
            }
            if code < 0 { throw state.error(code, "push \(localRef) to \(remoteRef) on \(target) (\(url))") }
            // No report for the reference (e.g. nothing to update): libgit2 succeeded, so it stands.
            guard let status = state.pushStatus[remoteRef], let reason = status else {
                return GitPushResult(ref: remoteRef, accepted: true, message: nil)
            }
            let said = state.remoteOutput
            return GitPushResult(ref: remoteRef, accepted: false, message: said.isEmpty ? reason : "\(reason): \(said)")
        }
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    public func isAncestor(_ ancestor: GitOID, of descendant: GitOID) throws -> Bool {
        if ancestor == descendant { return true }
        var commit = descendant.raw, base = ancestor.raw
        let code = git_graph_descendant_of(pointer, &commit, &base)
        if code == notFoundCode { throw GitError.notFound("commit \(ancestor) or \(descendant)") }
        try check(code, "check whether \(ancestor) is an ancestor of \(descendant)")
        return code == 1
    }

    // MARK: Helpers

    /// A remote by name (read from the configuration), or an anonymous one for a URL: looking
    /// a remote up snapshots the whole configuration, which costs time and memory per call
    /// once thousands of remotes (shares) would be configured.
    private func withRemote<T>(_ target: GitRemoteTarget, _ body: (OpaquePointer, String) throws -> T) throws -> T {
        var remote: OpaquePointer?
        switch target {
        case .named(let name):
            let code = git_remote_lookup(&remote, pointer, name)
            if code == notFoundCode { throw GitError.notFound("remote \"\(name)\"") }
            try check(code, "look up remote \(name)")
        case .url(let url):
            // Not git_remote_create_anonymous: libgit2 1.5 matches every configuration entry
            // against url.*.insteadOf with a regular expression there and leaks each match's
            // data (about 650 KB per remote; 1.3 GB over 2,000 shares). The rules are read
            // once per handle instead and applied as libgit2 applies them to an anonymous remote
            // (insteadOf, for fetch and push alike; pushInsteadOf only concerns configured remotes).
            let rules = try urlRewriteRules()
            var options = git_remote_create_options()
            try check(git_remote_create_options_init(&options, UInt32(GIT_REMOTE_CREATE_OPTIONS_VERSION)), "remote options")
            options.repository = pointer
            options.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF.rawValue | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC.rawValue
            try check(git_remote_create_with_opts(&remote, rules.rewrite(url), &options), "a remote for \(url)")
        }
        defer { git_remote_free(remote) }
        let url = git_remote_url(remote).map { String(cString: $0) } ?? ""
        return try body(remote!, url)
    }

    /// `url.BASE.insteadOf` of this repository's configuration (with the user's and the
    /// system's), read once per handle.
    func urlRewriteRules() throws -> URLRewriteRules {
        if let known = urlRewrites { return known }
        var config: OpaquePointer?
        try check(git_repository_config_snapshot(&config, pointer), "read config")
        defer { git_config_free(config) }
        var iterator: OpaquePointer?
        try check(git_config_iterator_new(&iterator, config), "read config")
        defer { git_config_iterator_free(iterator) }
        var rules = URLRewriteRules()
        var entry: UnsafeMutablePointer<git_config_entry>?
        while git_config_next(&entry, iterator) == 0, let entry {
            let name = String(cString: entry.pointee.name), value = String(cString: entry.pointee.value)
            // Names come lower-cased in their section and key: url.<base>.insteadof.
            guard name.hasPrefix("url."), name.hasSuffix(".insteadof") else { continue }
            rules.rules.append((base: String(name.dropFirst(4).dropLast(10)), prefix: value))
        }
        urlRewrites = rules
        return rules
    }

    /// `specs` as a C string array for the duration of `body`.
    private func withRefspecs<T>(_ specs: [String], _ body: (UnsafeMutablePointer<git_strarray>) -> T) -> T {
        var copies = specs.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return copies.withUnsafeMutableBufferPointer { buffer in
            var array = git_strarray(strings: buffer.baseAddress, count: specs.count)
            return body(&array)
        }
    }

    /// Drops empty and "." components: libgit2 1.5 fails to create folders for a path with "//"
    /// (the same workaround as `create`, whose helper is private to its file).
    private static func tidyClonePath(_ path: String) -> String {
        let joined = path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
        if path.hasPrefix("/") { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }
}

private extension GitError {
    var libgit2Message: String {
        if case let .libgit2(_, _, _, message) = self { return message }
        return description
    }
}

/// What libgit2's C callbacks learn during one fetch, push or clone. A C function pointer cannot
/// capture Swift context, so the callbacks reach this object through the callbacks' `payload`
/// (unretained: the caller keeps it alive with `withExtendedLifetime` around the libgit2 call).
private final class RemoteCallbackState {
    let url: String
    /// Every reference update_tips reported, remote-tracking or not.
    var updatedRefs: [GitRefUpdate] = []
    /// push_update_reference: remote reference → nil (accepted) or the server's reason.
    var pushStatus: [String: String?] = [:]
    /// Text the server sent on the side band (progress, hooks' output), as received.
    var sideband = ""
    var triedUsername = false, triedAgent = false, triedDefault = false
    /// Set when the credentials callback gave up.
    var authenticationFailure: String?

    init(url: String) { self.url = url }

    /// The side-band text without progress meters: lines ending in "\r" are overwritten progress,
    /// "remote: " prefixes are git's own; what is left is joined with "; ".
    var remoteOutput: String {
        var lines: [String] = []
        for line in sideband.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            var text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("remote:") { text = String(text.dropFirst("remote:".count)).trimmingCharacters(in: .whitespaces) }
            if text.isEmpty || Self.isProgress(text) { continue }
            lines.append(text)
        }
        return lines.joined(separator: "; ")
    }

    private static func isProgress(_ line: String) -> Bool {
        let meters = ["Counting objects", "Compressing objects", "Writing objects", "Unpacking objects",
                      "Resolving deltas", "Enumerating objects", "Total "]
        return meters.contains { line.hasPrefix($0) }
    }

    /// The error for a failed operation; an authentication give-up is reported as such.
    func error(_ code: Int32, _ operation: String) -> GitError {
        let error = GitError.last(code, operation)
        if let authenticationFailure {
            return .libgit2(operation: operation, code: GIT_EAUTH.rawValue,
                            errorClass: Int32(GIT_ERROR_NET.rawValue), message: authenticationFailure)
        }
        // libgit2 takes a plain path for a local repository only when it exists; a missing one
        // falls through to the URL parsers, which answer "unsupported URL protocol".
        if case let .libgit2(_, code, errorClass, message) = error, message == "unsupported URL protocol",
           !url.contains("://"), !FileManager.default.fileExists(atPath: url) {
            return .libgit2(operation: operation, code: code, errorClass: errorClass,
                            message: "no repository at \(url): the path does not exist (and it is not a URL)")
        }
        return error
    }

    func install(into callbacks: inout git_remote_callbacks) {
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        callbacks.update_tips = { refname, old, new, payload in
            guard let refname, let payload else { return 0 }
            let state = Unmanaged<RemoteCallbackState>.fromOpaque(payload).takeUnretainedValue()
            func oid(_ raw: UnsafePointer<git_oid>?) -> GitOID? {
                guard let raw, git_oid_is_zero(raw) == 0 else { return nil }
                return GitOID(raw)
            }
            state.updatedRefs.append(GitRefUpdate(ref: String(cString: refname), old: oid(old), new: oid(new)))
            return 0
        }
        callbacks.push_update_reference = { refname, status, payload in
            guard let refname, let payload else { return 0 }
            let state = Unmanaged<RemoteCallbackState>.fromOpaque(payload).takeUnretainedValue()
            state.pushStatus[String(cString: refname)] = .some(status.map { String(cString: $0) })
            return 0
        }
        callbacks.sideband_progress = { text, length, payload in
            guard let text, let payload, length > 0 else { return 0 }
            let state = Unmanaged<RemoteCallbackState>.fromOpaque(payload).takeUnretainedValue()
            let bytes = UnsafeRawBufferPointer(start: text, count: Int(length))
            state.sideband += String(decoding: bytes, as: UTF8.self)
            return 0
        }
        callbacks.credentials = { out, url, usernameFromURL, allowedTypes, payload in
            guard let out, let payload else { return GIT_PASSTHROUGH.rawValue }
            let state = Unmanaged<RemoteCallbackState>.fromOpaque(payload).takeUnretainedValue()
            // Like ssh: the URL's user, else the local user's name.
            let user = usernameFromURL.map { String(cString: $0) } ?? ProcessInfo.processInfo.environment["USER"] ?? "git"
            if allowedTypes & GIT_CREDENTIAL_USERNAME.rawValue != 0, !state.triedUsername {
                state.triedUsername = true
                return git_credential_username_new(out, user)
            }
            if allowedTypes & GIT_CREDENTIAL_SSH_KEY.rawValue != 0, !state.triedAgent {
                state.triedAgent = true
                return git_credential_ssh_key_from_agent(out, user)
            }
            if allowedTypes & GIT_CREDENTIAL_DEFAULT.rawValue != 0, !state.triedDefault {
                state.triedDefault = true
                return git_credential_default_new(out)
            }
            var tried: [String] = []
            if state.triedAgent { tried.append("a key from the ssh agent for user \"\(user)\"") }
            if state.triedDefault { tried.append("the default credentials") }
            let where_ = url.map { String(cString: $0) } ?? state.url
            state.authenticationFailure = "authentication to \(where_) failed: "
                + (tried.isEmpty ? "the server asks for credentials Folio cannot supply (a user name and password: put them in the URL, or use ssh with a key in ssh-agent)"
                                 : "tried \(tried.joined(separator: " and ")), not accepted (is ssh-agent running, SSH_AUTH_SOCK set, and the key added?)")
            _ = git_error_set_str(Int32(GIT_ERROR_NET.rawValue), state.authenticationFailure)
            return GIT_EAUTH.rawValue
        }
    }
}

extension GitRepository {
    /// The names of the configured remotes, sorted.
    public func remoteNames() throws -> [String] {
        var list = git_strarray()
        try check(git_remote_list(&list, pointer), "list remotes")
        defer { git_strarray_dispose(&list) }
        return (0..<list.count).compactMap { list.strings[$0].map { String(cString: $0) } }.sorted()
    }
}

/// git's URL rewriting: the longest `insteadOf` prefix of a URL is replaced by its base.
struct URLRewriteRules {
    var rules: [(base: String, prefix: String)] = []

    func rewrite(_ url: String) -> String {
        let matching = rules.filter { !$0.prefix.isEmpty && url.hasPrefix($0.prefix) }
        guard let rule = matching.max(by: { $0.prefix.count < $1.prefix.count }) else { return url }
        return rule.base + url.dropFirst(rule.prefix.count)
    }
}

import Foundation
import FolioGit
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Remote operations against plain git: a bare repository on disk (by path and by file://), and a
// real `git daemon` on 127.0.0.1 (git://), the only one of the three where the remote's hooks run.
// Plain git (`git(...)` from Support.swift) is the outside witness of what the remote holds.

/// A bare repository "remote.git" in `folder` whose main holds one commit made by plain git.
/// Returns the bare repository's path and that commit.
private func makeRemote(in folder: TemporaryFolder, name: String = "remote.git") throws -> (path: String, seed: GitOID) {
    let bare = folder.path + "/" + name
    try git(["init", "--quiet", "--bare", "--initial-branch=main", bare], in: folder.path)
    let seed = folder.path + "/seed-\(name)"
    try git(["init", "--quiet", "--initial-branch=main", seed], in: folder.path)
    try folder.write("seed-\(name)/invoices/inv-0.json", "{\"id\":\"inv-0\"}\n")
    try git(["add", "-A"], in: seed)
    try git(["commit", "--quiet", "-m", "Seed"], in: seed)
    try git(["push", "--quiet", bare, "main"], in: seed)
    return (bare, try #require(GitOID(hex: remoteTip(bare))))
}

/// `git -C bare rev-parse main`, the remote's branch as plain git sees it.
private func remoteTip(_ bare: String) throws -> String {
    try git("rev-parse", "main", in: bare).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// One Folio commit on top of HEAD, as a replica would make it.
@discardableResult
private func commit(_ repo: GitRepository, _ path: String, _ text: String, at time: Int64 = 1_750_000_100) throws -> GitOID {
    try repo.commitChanges([path: bytes(text)], message: "Write \(path)", author: signature(at: time), parent: try repo.headCommit())
}

private func libgit2Message(_ error: any Error) -> String {
    if case let GitError.libgit2(_, _, _, message)? = error as? GitError { return message }
    return "\(error)"
}

// MARK: - Bare repository on disk

@Suite("Remote operations against a bare repository on disk")
struct LocalRemoteTests {
    /// The same round trip by plain path and by file:// URL (both libgit2's in-process local transport).
    @Test("clone, commit and push, fetch the moved ref, non-fast-forward rejection, retry after merge", arguments: [false, true])
    func roundTrip(fileURL: Bool) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (bare, seed) = try makeRemote(in: folder)
        let url = fileURL ? "file://" + bare : bare

        let alice = try GitRepository.clone(url: url, to: folder.path + "/alice")
        #expect(try alice.headCommit() == seed)
        #expect(try alice.headBranch() == "main")
        #expect(try alice.remoteURL("origin") == url)
        #expect(try alice.resolveReference("refs/remotes/origin/main") == seed)
        #expect(try folder.read("alice/invoices/inv-0.json") == "{\"id\":\"inv-0\"}\n")
        #expect(try git("status", "--porcelain", "--untracked-files=all", in: folder.path + "/alice") == "")
        let bob = try GitRepository.clone(url: url, to: folder.path + "/bob")

        // Alice pushes a commit: accepted, the remote's main moves, and so does her tracking ref.
        let a1 = try commit(alice, "invoices/inv-1.json", "one\n")
        let pushed = try alice.push(remote: "origin", localRef: "refs/heads/main", remoteRef: "refs/heads/main")
        #expect(pushed == GitPushResult(ref: "refs/heads/main", accepted: true, message: nil))
        #expect(try remoteTip(bare) == a1.hex)
        #expect(try alice.resolveReference("refs/remotes/origin/main") == a1)
        try expectFsckClean(bare)
        // Pushing again with nothing new is accepted too.
        #expect(try alice.push(remote: "origin", localRef: "refs/heads/main", remoteRef: "refs/heads/main").accepted)

        // Bob commits offline, then pushes without fetching: not a fast-forward, refused, remote unchanged.
        let b1 = try commit(bob, "invoices/inv-2.json", "two\n", at: 1_750_000_200)
        let rejected = try bob.push(remote: "origin", localRef: "refs/heads/main", remoteRef: "refs/heads/main")
        #expect(rejected.ref == "refs/heads/main")
        #expect(!rejected.accepted)
        #expect(rejected.message?.contains("non-fast-forward") == true, "\(rejected)")
        #expect(try remoteTip(bare) == a1.hex)

        // Bob fetches: exactly the moved remote-tracking ref comes back; a second fetch moves nothing.
        #expect(try bob.fetch(remote: "origin") == [GitRefUpdate(ref: "refs/remotes/origin/main", old: seed, new: a1)])
        #expect(try bob.fetch(remote: "origin") == [])
        #expect(try bob.resolveReference("refs/remotes/origin/main") == a1)
        #expect(try bob.isAncestor(seed, of: a1))
        #expect(try bob.isAncestor(a1, of: a1))
        #expect(try !bob.isAncestor(a1, of: seed))
        #expect(try !bob.isAncestor(a1, of: b1))
        #expect(try !bob.isAncestor(b1, of: a1))

        // After a merge the retry is a fast-forward for the remote and goes through.
        let tree = try bob.writeTree(base: nil, changes: [
            "invoices/inv-0.json": bytes("{\"id\":\"inv-0\"}\n"), "invoices/inv-1.json": bytes("one\n"), "invoices/inv-2.json": bytes("two\n"),
        ])
        let merge = try bob.createCommit(tree: tree, parents: [b1, a1], message: "Merge", author: signature(), committer: signature())
        try bob.updateRef("refs/heads/main", to: merge, expected: b1, logMessage: "merge")
        #expect(try bob.isAncestor(a1, of: merge) && bob.isAncestor(b1, of: merge))
        #expect(try bob.push(remote: "origin", localRef: "refs/heads/main", remoteRef: "refs/heads/main").accepted)
        #expect(try remoteTip(bare) == merge.hex)
        #expect(try alice.fetch(remote: "origin") == [GitRefUpdate(ref: "refs/remotes/origin/main", old: a1, new: merge)])
        try expectFsckClean(bare)
    }

    @Test("remotes: added, looked up, missing; fetch from a missing remote, path or repository fails clearly")
    func remotesAndFailures() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (bare, seed) = try makeRemote(in: folder)
        let repo = try GitRepository.create(at: folder.path + "/work")
        #expect(try repo.remoteURL("origin") == nil)
        try repo.addRemote("origin", url: bare)
        #expect(try repo.remoteURL("origin") == bare)
        #expect(try git("config", "remote.origin.fetch", in: folder.path + "/work") == "+refs/heads/*:refs/remotes/origin/*\n")
        #expect(throws: GitError.self) { try repo.addRemote("origin", url: bare) }
        // A fresh, empty replica: the first fetch creates the tracking ref (old: nil).
        #expect(try repo.fetch(remote: "origin") == [GitRefUpdate(ref: "refs/remotes/origin/main", old: nil, new: seed)])
        #expect(try repo.resolveReference("refs/remotes/origin/main") == seed)
        #expect(try repo.resolveReference("refs/remotes/origin/nope") == nil)
        #expect(try repo.resolveReference("HEAD") == nil) // unborn

        #expect(throws: GitError.notFound("remote \"upstream\"")) { try repo.fetch(remote: "upstream") }
        #expect(throws: GitError.notFound("remote \"upstream\"")) {
            try repo.push(remote: "upstream", localRef: "refs/heads/main", remoteRef: "refs/heads/main")
        }

        try repo.addRemote("gone", url: folder.path + "/does-not-exist.git")
        let error = try #require(throws: GitError.self) { try repo.fetch(remote: "gone") }
        #expect(error.description.contains("fetch from remote gone (\(folder.path)/does-not-exist.git)"), "\(error)")
        #expect(libgit2Message(error).contains("no repository at \(folder.path)/does-not-exist.git: the path does not exist"), "\(error)")

        try FileManager.default.createDirectory(atPath: folder.path + "/not-a-repo", withIntermediateDirectories: true)
        try repo.addRemote("plain", url: "file://" + folder.path + "/not-a-repo")
        let notRepo = try #require(throws: GitError.self) { try repo.fetch(remote: "plain") }
        #expect(libgit2Message(notRepo).contains("could not find repository"), "\(notRepo)")

        #expect(throws: GitError.self) { try GitRepository.clone(url: folder.path + "/does-not-exist.git", to: folder.path + "/c") }
        #expect(!folder.exists("c"))
        // A local branch that does not exist is an error, not a rejection.
        #expect(throws: GitError.self) { try repo.push(remote: "origin", localRef: "refs/heads/nope", remoteRef: "refs/heads/main") }
        #expect(try remoteTip(bare) == seed.hex)
        // Forcing is not on offer.
        #expect(throws: GitError.self) { try repo.push(remote: "origin", localRef: "+refs/heads/main", remoteRef: "refs/heads/main") }
        // Unknown commits are an error, not a "no".
        let unknown = try #require(GitOID(hex: String(repeating: "ab", count: 20)))
        #expect(throws: GitError.self) { try repo.isAncestor(unknown, of: seed) }
    }

    @Test("a remote reached by URL honours url.*.insteadOf (the longest prefix wins), for fetch and push")
    func urlRewriting() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (bare, seed) = try makeRemote(in: folder)
        let repo = try GitRepository.create(at: folder.path + "/work")
        try git(["config", "url.\(folder.path)/wrong/.insteadOf", "share:"], in: folder.path + "/work")
        try git(["config", "url.\(folder.path)/remote.insteadOf", "share:remote"], in: folder.path + "/work")

        // The longest prefix wins: share:remote.git is the bare repository, not wrong/.
        #expect(try repo.remoteBranchTip(url: "share:remote.git", branch: "main") == seed)
        #expect(try repo.fetch(url: "share:remote.git", branch: "main", into: "refs/remotes/s/main").map(\.new) == [seed])
        // A push goes to the same place.
        try repo.updateRef("refs/heads/main", to: seed, expected: nil, logMessage: "test")
        let next = try commit(repo, "invoices/inv-1.json", "{}\n")
        let pushed = try repo.push(url: "share:remote.git", localRef: "refs/heads/main", remoteRef: "refs/heads/topic")
        #expect(pushed.accepted)
        #expect(try git("rev-parse", "topic", in: bare).trimmingCharacters(in: .whitespacesAndNewlines) == next.hex)
    }

    @Test("clone without checkout, and clone of an empty repository onto the unborn main")
    func cloneVariants() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (bare, seed) = try makeRemote(in: folder)
        let bare2 = folder.path + "/empty.git"
        try git(["init", "--quiet", "--bare", "--initial-branch=main", bare2], in: folder.path)

        let noCheckout = try GitRepository.clone(url: bare, to: folder.path + "/nc", checkout: false)
        #expect(try noCheckout.headCommit() == seed)
        #expect(!folder.exists("nc/invoices"))
        try noCheckout.checkoutHead(force: false)
        #expect(folder.exists("nc/invoices/inv-0.json"))

        let empty = try GitRepository.clone(url: "file://" + bare2, to: folder.path + "//nested/./empty")
        #expect(try empty.headCommit() == nil)
        #expect(try empty.headBranch() == "main")
        #expect(empty.workdir == folder.path + "/nested/empty")
        let first = try commit(empty, "a.json", "{}\n")
        #expect(try empty.push(remote: "origin", localRef: "refs/heads/main", remoteRef: "refs/heads/main").accepted)
        #expect(try remoteTip(bare2) == first.hex)
    }
}

// MARK: - git daemon

/// A `git daemon` serving `base` on 127.0.0.1 with pushes enabled; `stop()` ends it with SIGTERM.
///
/// Started with posix_spawn rather than Foundation.Process: a test runs on a Swift concurrency
/// (dispatch) worker thread, which blocks most signals, and Process hands that mask to the child,
/// so a daemon started that way never sees SIGTERM (it stays pending) and waiting for it hangs.
/// The spawn below resets the child's signal mask and dispositions.
private final class GitDaemon {
    let pid: pid_t
    let port: UInt16
    private var exited = false
    var url: String { "git://127.0.0.1:\(port)" }

    private init(pid: pid_t, port: UInt16) {
        self.pid = pid
        self.port = port
    }

    /// Starts the daemon on a free port and waits until it accepts connections (a few tries in
    /// case another process takes the port between picking it and the daemon binding it).
    static func start(base: String) throws -> GitDaemon {
        var lastError = ""
        for _ in 0..<3 {
            let port = try freePort()
            let pid = try spawn(["git", "daemon", "--reuseaddr", "--base-path=\(base)", "--export-all", "--enable=receive-pack",
                                 "--listen=127.0.0.1", "--port=\(port)", base])
            let daemon = GitDaemon(pid: pid, port: port)
            let deadline = Date().addingTimeInterval(5)
            while daemon.isRunning && Date() < deadline {
                if accepts(port) { return daemon }
                usleep(10_000)
            }
            lastError = daemon.isRunning ? "git daemon did not listen on \(port) within 5 s" : "git daemon exited at once"
            daemon.stop()
        }
        throw GitDaemonError(message: lastError)
    }

    var isRunning: Bool {
        guard !exited else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { exited = true }
        return !exited
    }

    /// SIGTERM, then wait for the exit (`git daemon` passes the signal on to the git-daemon it
    /// runs); SIGKILL only if it is still there after 5 s, so a broken daemon cannot hang the tests.
    func stop() {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while isRunning {
            if Date() > deadline {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                _ = waitpid(pid, &status, 0)
                exited = true
                return
            }
            usleep(5_000)
        }
    }

    /// /usr/bin/git with `arguments` (argv[0] included), no stdin/stdout/stderr, the test's
    /// environment without the machine's git config, all signals unblocked and at their defaults.
    private static func spawn(_ arguments: [String]) throws -> pid_t {
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }

        #if canImport(Glibc)
        var attributes = posix_spawnattr_t()
        var actions = posix_spawn_file_actions_t()
        #else
        var attributes: posix_spawnattr_t? = nil
        var actions: posix_spawn_file_actions_t? = nil
        #endif
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)

        var pid: pid_t = 0
        let code = posix_spawn(&pid, "/usr/bin/git", &actions, &attributes, argv, envp)
        guard code == 0 else { throw GitDaemonError(message: "posix_spawn git daemon: \(String(cString: strerror(code)))") }
        return pid
    }

    /// Asks the kernel for a free port by binding port 0.
    private static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw GitDaemonError(message: "socket: \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw GitDaemonError(message: "bind: \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw GitDaemonError(message: "getsockname: \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }

    private static func accepts(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}

private struct GitDaemonError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Runs `body` with a daemon serving `base`, stopping it afterwards, also when `body` throws.
private func withGitDaemon<T>(serving base: String, _ body: (GitDaemon) throws -> T) throws -> T {
    let daemon = try GitDaemon.start(base: base)
    defer { daemon.stop() }
    return try body(daemon)
}

@Suite("Remote operations over git:// against a real git daemon", .serialized, .timeLimit(.minutes(1)))
struct DaemonRemoteTests {
    @Test("clone, push, fetch the moved ref, and a non-fast-forward push refused with the remote unchanged")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (bare, seed) = try makeRemote(in: folder)
        try withGitDaemon(serving: folder.path) { daemon in
            let url = daemon.url + "/remote.git"
            let alice = try GitRepository.clone(url: url, to: folder.path + "/alice")
            let bob = try GitRepository.clone(url: url, to: folder.path + "/bob")
            #expect(try alice.headCommit() == seed)
            #expect(try alice.headBranch() == "main")
            #expect(try folder.read("bob/invoices/inv-0.json") == "{\"id\":\"inv-0\"}\n")

            let a1 = try commit(alice, "invoices/inv-1.json", "one\n")
            #expect(try alice.push(remote: "origin", localRef: "refs/heads/main", remoteRef: "refs/heads/main")
                == GitPushResult(ref: "refs/heads/main", accepted: true, message: nil))
            #expect(try remoteTip(bare) == a1.hex)
            #expect(try alice.resolveReference("refs/remotes/origin/main") == a1)

            // Bob pushes after Alice without fetching: refused, and the remote keeps Alice's commit.
            let b1 = try commit(bob, "invoices/inv-2.json", "two\n", at: 1_750_000_200)
            let rejected = try bob.push(remote: "origin", localRef: "refs/heads/main", remoteRef: "refs/heads/main")
            #expect(!rejected.accepted)
            #expect(rejected.message?.contains("non-fast-forward") == true, "\(rejected)")
            #expect(try remoteTip(bare) == a1.hex)

            #expect(try bob.fetch(remote: "origin") == [GitRefUpdate(ref: "refs/remotes/origin/main", old: seed, new: a1)])
            #expect(try bob.fetch(remote: "origin") == [])
            #expect(try !bob.isAncestor(a1, of: b1))
            #expect(try bob.isAncestor(seed, of: b1))
            // Fetched but not merged: the remote's tip is known now, still not an ancestor: refused.
            let again = try bob.push(remote: "origin", localRef: "refs/heads/main", remoteRef: "refs/heads/main")
            #expect(!again.accepted && again.message?.contains("non-fast-forward") == true, "\(again)")
            #expect(try remoteTip(bare) == a1.hex)
            try expectFsckClean(bare)
        }
    }

    @Test("a pre-receive hook's refusal comes back as accepted=false with the hook's message (git:// runs hooks, file:// does not)")
    func hookRejection() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (bare, seed) = try makeRemote(in: folder)
        try folder.write("remote.git/hooks/pre-receive", "#!/bin/sh\necho 'folio: invoice inv-1 does not validate' >&2\nexit 1\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bare + "/hooks/pre-receive")

        try withGitDaemon(serving: folder.path) { daemon in
            let repo = try GitRepository.clone(url: daemon.url + "/remote.git", to: folder.path + "/work")
            let mine = try commit(repo, "invoices/inv-1.json", "bad\n")
            let result = try repo.push(remote: "origin", localRef: "refs/heads/main", remoteRef: "refs/heads/main")
            #expect(result.ref == "refs/heads/main")
            #expect(!result.accepted)
            let message = result.message ?? ""
            #expect(message.contains("pre-receive hook declined"), "\(result)")
            #expect(message.contains("folio: invoice inv-1 does not validate"), "\(result)")
            #expect(try remoteTip(bare) == seed.hex)
            #expect(try repo.resolveReference("refs/remotes/origin/main") == seed)

            // The same push through the local transport never runs the hook: it is accepted.
            try repo.addRemote("local", url: "file://" + bare)
            #expect(try repo.push(remote: "local", localRef: "refs/heads/main", remoteRef: "refs/heads/main").accepted)
            #expect(try remoteTip(bare) == mine.hex)
        }
    }

    @Test("fetch from a repository the daemon does not have, or from a port nobody listens on, throws clearly")
    func unreachable() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        _ = try makeRemote(in: folder)
        let repo = try GitRepository.create(at: folder.path + "/work")
        let closedPort: UInt16 = try withGitDaemon(serving: folder.path) { daemon in
            try repo.addRemote("missing", url: daemon.url + "/nope.git")
            let error = try #require(throws: GitError.self) { try repo.fetch(remote: "missing") }
            #expect(error.description.contains("fetch from remote missing (\(daemon.url)/nope.git)"), "\(error)")
            #expect(libgit2Message(error).contains("not exported: /nope.git"), "\(error)")
            #expect(throws: GitError.self) { try GitRepository.clone(url: daemon.url + "/nope.git", to: folder.path + "/c") }
            return daemon.port
        }
        // The daemon is gone: its port refuses connections.
        try repo.addRemote("down", url: "git://127.0.0.1:\(closedPort)/remote.git")
        let error = try #require(throws: GitError.self) { try repo.fetch(remote: "down") }
        #expect(libgit2Message(error).contains("Connection refused"), "\(error)")
    }
}

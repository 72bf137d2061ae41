public import Foundation

// What the end-to-end test targets share: the built `folio` binary and plain `git`, driven
// as a user's script would drive them, and temporary folders.

public struct RunResult: Sendable {
    public var code: Int32
    public var stdout: String
    public var stderr: String
    /// Killed by SIGKILL (a crash test, or `wait(timeout:)` giving up).
    public var killed: Bool { code == -9 }
}

public enum Tool {
    /// The folio executable sits beside the test bundle in .build/<config>/.
    public static let folioPath: String = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("folio").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        for config in ["debug", "release"] {
            let candidate = FileManager.default.currentDirectoryPath + "/.build/\(config)/folio"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "folio"
    }()

    /// Variables of the test runner's own environment that would change what folio or git
    /// does (who acts, where the repository is, test hooks): never inherited.
    static let scrubbed = ["FOLIO_USER", "SSH_AUTH_SOCK", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_DIR", "GIT_WORK_TREE",
                           "FOLIO_INDEX_TEST_CRASH", "FOLIO_INDEX_TEST_SLOW", "FOLIO_INDEX_TIMING"]

    public static func run(_ executable: String, _ args: [String], cwd: String? = nil, env: [String: String] = [:], stdin: Data? = nil) throws -> RunResult {
        try start(executable, args, cwd: cwd, env: env, stdin: stdin).wait()
    }

    public static func start(_ executable: String, _ args: [String], cwd: String? = nil, env: [String: String] = [:], stdin: Data? = nil) throws -> Running {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        var environment = ProcessInfo.processInfo.environment
        for key in scrubbed { environment[key] = nil }
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        return Running(process: p, out: out, err: err)
    }

    public static func git(_ args: [String], cwd: String, env: [String: String] = [:]) throws -> RunResult {
        try run("/usr/bin/git", args, cwd: cwd, env: env)
    }
}

/// A started process whose output is collected as it comes, so that a chatty child never
/// blocks on a full pipe.
public final class Running: @unchecked Sendable {
    public let process: Process
    private var outData = Data(), errData = Data()
    private let group = DispatchGroup()

    init(process: Process, out: Pipe, err: Pipe) {
        self.process = process
        group.enter()
        DispatchQueue.global().async { self.outData = out.fileHandleForReading.readDataToEndOfFile(); self.group.leave() }
        group.enter()
        DispatchQueue.global().async { self.errData = err.fileHandleForReading.readDataToEndOfFile(); self.group.leave() }
    }

    public func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }

    public func wait() -> RunResult {
        group.wait()
        process.waitUntilExit()
        let code = process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
        return RunResult(code: code, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Waits at most `seconds`, then kills the process (its code is then -9), so that a hang
    /// fails the test instead of stopping the suite.
    public func wait(timeout seconds: Double) -> RunResult {
        let process = self.process
        let killer = DispatchWorkItem { if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: killer)
        defer { killer.cancel() }
        return wait()
    }
}

/// A temporary folder removed when the test ends.
public final class TempDir: @unchecked Sendable {
    public let path: String

    public init(_ name: String = "folio-test") {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    @discardableResult
    public func write(_ name: String, _ text: String) -> String { write(name, bytes: Data(text.utf8)) }

    @discardableResult
    public func write(_ name: String, bytes: Data) -> String {
        let p = file(name)
        FileManager.default.createFile(atPath: p, contents: bytes)
        return p
    }
}

/// ssh-agent, started by the test on a socket of its own and stopped by its PID.
public final class SSHAgentProcess: @unchecked Sendable {
    let dir = TempDir("folio-agent")
    let running: Running
    public var socket: String { dir.file("agent.sock") }

    public init() throws {
        running = try Tool.start("/usr/bin/ssh-agent", ["-D", "-a", dir.file("agent.sock")])
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: dir.file("agent.sock")) { usleep(20_000) }
    }

    /// Adds a key; a passphrase is given through SSH_ASKPASS, as a desktop would.
    public func add(_ keyPath: String, passphrase: String? = nil) throws {
        var env = ["SSH_AUTH_SOCK": socket]
        if let passphrase {
            let askpass = dir.write("askpass.sh", "#!/bin/sh\necho '\(passphrase)'\n")
            chmod(askpass, 0o755)
            env["SSH_ASKPASS"] = askpass
            env["SSH_ASKPASS_REQUIRE"] = "force"
            env["DISPLAY"] = ":0"
        }
        let r = try Tool.run("/usr/bin/ssh-add", [keyPath], env: env)
        guard r.code == 0 else { throw CancellationError() }
    }

    deinit {
        // SIGKILL: an agent started from a process that ignores SIGTERM inherits that.
        kill(running.process.processIdentifier, SIGKILL)
        running.process.waitUntilExit()
    }
}


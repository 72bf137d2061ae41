import Foundation
import FolioGit
import Testing

/// A scratch folder for one test; remove it with `defer { folder.remove() }`.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("folio-git-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func url(_ relative: String) -> URL { URL(fileURLWithPath: path).appendingPathComponent(relative) }

    func write(_ relative: String, _ text: String) throws {
        let url = url(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func read(_ relative: String) throws -> String { try String(decoding: Data(contentsOf: url(relative)), as: UTF8.self) }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: url(relative).path) }
}

struct GitRun {
    let status: Int32
    let output: Data
    let errors: String
    var text: String { String(decoding: output, as: UTF8.self) }
}

/// Plain git as the outside witness, isolated from the machine's global and system config.
@discardableResult
func git(_ arguments: [String], in folder: String, allowFailure: Bool = false) throws -> GitRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
    environment["GIT_AUTHOR_NAME"] = "Plain Git"
    environment["GIT_AUTHOR_EMAIL"] = "plain@example.com"
    environment["GIT_COMMITTER_NAME"] = "Plain Git"
    environment["GIT_COMMITTER_EMAIL"] = "plain@example.com"
    process.environment = environment
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Read before waiting: a full pipe would block git forever.
    let outData = output.fileHandleForReading.readDataToEndOfFile()
    let errData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let run = GitRun(status: process.terminationStatus, output: outData, errors: String(decoding: errData, as: UTF8.self))
    if !allowFailure && run.status != 0 {
        Issue.record("git \(arguments.joined(separator: " ")) failed (\(run.status)): \(run.errors)")
    }
    return run
}

func git(_ arguments: String..., in folder: String) throws -> String {
    try git(arguments, in: folder).text
}

/// `git fsck --strict` exits 0 and reports neither errors nor warnings (dangling objects are fine).
func expectFsckClean(_ folder: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let run = try git(["fsck", "--strict", "--no-dangling"], in: folder, allowFailure: true)
    #expect(run.status == 0, "fsck: \(run.errors)", sourceLocation: sourceLocation)
    let report = (run.text + run.errors).lowercased()
    #expect(!report.contains("error") && !report.contains("warning"), "fsck: \(report)", sourceLocation: sourceLocation)
}

func signature(_ name: String = "Ada Seller", _ email: String = "ada@example.com", at time: Int64 = 1_750_000_000) -> GitSignature {
    GitSignature(name: name, email: email, time: time, offsetMinutes: 120)
}

func bytes(_ text: String) -> Data { Data(text.utf8) }

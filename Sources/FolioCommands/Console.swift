import ArgumentParser
import Foundation
import Synchronization
import SystemPackage

/// Where a command writes: data for scripts to standard output, everything for people
/// (progress, refusals, errors) to standard error (SPEC §5). Every command is handed one, so
/// that a test can run a command in-process and read what it printed (`Console.inMemory()`),
/// and so that nothing about a run lives in a global.
public final class Console: Sendable {
    private enum Destination { case descriptors, memory }
    private struct State {
        var failure: String?
        var output = ""
        var errors = ""
    }

    private let destination: Destination
    private let state = Mutex(State())
    /// What the command was started with (after `folio`), for what depends on the whole
    /// request: the digest an idempotency key is recorded with.
    public let arguments: [String]

    private init(_ destination: Destination, arguments: [String]) { self.destination = destination; self.arguments = arguments }

    /// The process's standard output and error.
    public static func standard(arguments: [String]) -> Console { Console(.descriptors, arguments: arguments) }
    /// Keeps what is written, for `written`.
    public static func inMemory(arguments: [String] = []) -> Console { Console(.memory, arguments: arguments) }

    public func data(_ text: String) { write(text, to: STDOUT_FILENO) }
    public func error(_ text: String, newline: Bool = true) { write(text, to: STDERR_FILENO, newline: newline) }
    /// Progress and confirmations for people go to standard error, so that standard output
    /// stays data a script can read.
    public func info(_ text: String) { error(text) }

    /// Whether standard error is a terminal a person watches (for a progress bar).
    public var errorsGoToTerminal: Bool { destination == .descriptors && isatty(STDERR_FILENO) == 1 }

    /// What an in-memory console was given, each stream as one string.
    public var written: (output: String, errors: String) { state.withLock { ($0.output, $0.errors) } }

    /// Why standard output or error could not be written, if it could not: the command then
    /// exits 2 (SPEC §5: an I/O error) instead of 0 with its output cut short.
    public var failure: String? { state.withLock { $0.failure } }

    /// The text and a final newline, straight to the descriptor (unbuffered, without first
    /// copying the text into a Data).
    private func write(_ text: String, to fd: Int32, newline: Bool = true) {
        var line = !newline || text.hasSuffix("\n") ? text : text + "\n"
        if destination == .memory {
            state.withLock { if fd == STDOUT_FILENO { $0.output += line } else { $0.errors += line } }
            return
        }
        line.withUTF8 { bytes in
            var rest = UnsafeRawBufferPointer(bytes)
            let descriptor = FileDescriptor(rawValue: fd)
            while !rest.isEmpty {
                do {
                    // swift-system retries a write that a signal interrupted.
                    let n = try descriptor.write(rest)
                    guard n > 0 else { throw Errno.ioError }
                    rest = UnsafeRawBufferPointer(rebasing: rest[n...])
                } catch Errno.resourceTemporarilyUnavailable {
                    // A descriptor left non-blocking by whoever started us: wait until it drains.
                    var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&ready, 1, -1)
                } catch {
                    let stream = fd == STDOUT_FILENO ? "output" : "error"
                    let reason = (error as? Errno).map { String(cString: strerror($0.rawValue)) } ?? "\(error)"
                    state.withLock { if $0.failure == nil { $0.failure = "cannot write to standard \(stream): \(reason)" } }
                    return
                }
            }
        }
    }
}

/// A command Folio runs itself (FolioMain), handing it the console to write to. The groups
/// (`folio invoice`, …) are plain ParsableCommands: ArgumentParser answers them with help.
protocol FolioCommand: ParsableCommand {
    var global: GlobalOptions { get }
    func run(_ console: Console) throws
}

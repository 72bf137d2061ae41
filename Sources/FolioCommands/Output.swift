import ArgumentParser
import Foundation
import FolioIndex
import FolioModel
import FolioRepo
import SystemPackage

enum Output {
    static func data(_ text: String) { write(text, to: STDOUT_FILENO) }
    static func error(_ text: String) { write(text, to: STDERR_FILENO) }

    /// Why standard output or error could not be written, if it could not: the command then
    /// exits 2 (SPEC §5: an I/O error) instead of 0 with its output cut short.
    nonisolated(unsafe) static var failure: String?

    /// The text and a final newline, straight to the descriptor (unbuffered, as FileHandle
    /// writes, without first copying the text into a Data).
    private static func write(_ text: String, to fd: Int32) {
        var line = text.hasSuffix("\n") ? text : text + "\n"
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
                    if failure == nil {
                        failure = "cannot write to standard \(fd == STDOUT_FILENO ? "output" : "error"): \((error as? Errno).map { String(cString: strerror($0.rawValue)) } ?? "\(error)")"
                    }
                    return
                }
            }
        }
    }
    /// Progress and confirmations for people go to standard error, so that standard output
    /// stays data a script can read.
    static func info(_ text: String) { error(text) }
}

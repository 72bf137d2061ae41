import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One writer at a time on a clone: Folio's commands take this lock for the whole of a write
/// (read the branch, decide, commit, check out), so two commands on one clone wait for each
/// other instead of one of them committing over a state it never read.
///
/// An advisory `flock(2)` on `.git/folio/write.lock`: the kernel drops it when its process
/// dies, so a killed command never leaves a lock that blocks the next one. The file's content
/// (pid and command) only serves the message of a command that waited too long.
final class WriteLock {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// How long a command waits for another one's write before it gives up (exit 1).
    static let defaultTimeout: Double = 60

    static func acquire(gitDir: String, name: String = "write.lock", timeout: Double = defaultTimeout) throws -> WriteLock {
        let folder = (gitDir.hasSuffix("/") ? gitDir : gitDir + "/") + "folio"
        let path = folder + "/" + name
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FolioError.io("cannot open \(path): \(String(cString: strerror(errno))); nothing was written")
        }
        let deadline = Date().addingTimeInterval(timeout)
        var pause: UInt32 = 2_000
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let reason = errno
            guard reason == EWOULDBLOCK || reason == EINTR else {
                close(fd)
                throw FolioError.io("cannot lock \(path): \(String(cString: strerror(reason))); nothing was written")
            }
            if Date() >= deadline {
                let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                close(fd)
                throw FolioError.busy("another folio command\(holder.isEmpty ? "" : " (\(holder))") has been writing to this clone for \(Int(timeout)) s; nothing was written, run this again when it is done")
            }
            // Jittered so that waiting commands do not wake in lockstep.
            usleep(pause + UInt32.random(in: 0...pause))
            pause = min(pause * 2, 50_000)
        }
        let note = "pid \(getpid()): \(CommandLine.arguments.joined(separator: " "))\n"
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
        return WriteLock(descriptor: fd)
    }
}

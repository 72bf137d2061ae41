import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Named points in Folio's writes where the fault-injection tests step in. Compiled into
/// debug builds only: a release binary has no way to be told to kill itself.
/// - `FOLIO_TEST_KILL_AT=write.before-checkout`: the process kills itself there (SIGKILL).
/// - `FOLIO_TEST_RUN_AT=write.before-branch:COMMAND`: runs COMMAND (/bin/sh) there, once, and
///   waits for it: a test moves the branch with plain git between Folio's decision and its
///   commit, deterministically.
public enum FaultPoint {
    #if DEBUG
    nonisolated(unsafe) private static var ran: Set<String> = []
    #endif

    public static func reach(_ name: String) {
        #if DEBUG
        let environment = ProcessInfo.processInfo.environment
        if environment["FOLIO_TEST_KILL_AT"] == name {
            kill(getpid(), SIGKILL)
        }
        if let wanted = environment["FOLIO_TEST_RUN_AT"], wanted.hasPrefix(name + ":"), !ran.contains(name) {
            ran.insert(name)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", String(wanted.dropFirst(name.count + 1))]
            try? process.run()
            process.waitUntilExit()
        }
        #endif
    }
}

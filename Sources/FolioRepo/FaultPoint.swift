#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Named points in Folio's writes where the fault-injection tests kill the process
/// (`FOLIO_TEST_KILL_AT=write.before-checkout`). Compiled into debug builds only: a release
/// binary has no way to be told to kill itself.
public enum FaultPoint {
    public static func reach(_ name: String) {
        #if DEBUG
        if let wanted = getenv("FOLIO_TEST_KILL_AT"), String(cString: wanted) == name {
            kill(getpid(), SIGKILL)
        }
        #endif
    }
}

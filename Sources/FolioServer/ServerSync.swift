import Foundation
import FolioModel
import FolioRepo
import FolioSync

/// The server's clone syncing with its remote (SPEC §11: offline clones see web answers):
/// after every write and, with `--sync-every`, on a timer. Requests coalesce: while a sync
/// runs, any number of new requests make one more sync after it, never a queue of them.
public actor ServerSync {
    let remote: String?
    /// Who makes sync's merge commits (the clone's own identity; the server signs them).
    let identity: String
    let open: @Sendable () throws -> FolioRepository
    private var pending = false
    private var running = false
    /// Failures go to standard error; the server keeps serving, and the next sync retries.
    let report: @Sendable (String) -> Void

    init(remote: String?, identity: String, open: @escaping @Sendable () throws -> FolioRepository, report: @escaping @Sendable (String) -> Void) {
        self.remote = remote; self.identity = identity; self.open = open; self.report = report
    }

    public func request() {
        pending = true
        guard !running else { return }
        running = true
        Task { await drain() }
    }

    private func drain() async {
        while pending {
            pending = false
            let (remote, identity, open, report) = (self.remote, self.identity, self.open, self.report)
            // libgit2 and the network block: run them on Dispatch, not on the actor's executor.
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    do {
                        let outcome = try SyncRound(repo: try open()).run(remote: remote, caller: Caller(identity: identity, clock: Clock()))
                        for share in outcome.shares where !share.imported.findings.isEmpty {
                            report("folio serve: share of \(share.customer) refused: \(share.imported.findings.map(\.description).joined(separator: "; "))")
                        }
                    } catch {
                        report("folio serve: sync with \(remote ?? "origin") failed, will retry: \(FolioError.wrap(error).message)")
                    }
                    done.resume()
                }
            }
        }
        running = false
    }

    /// Requests a sync every `seconds` until the task is cancelled.
    func every(_ seconds: Double) async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            request()
        }
    }
}

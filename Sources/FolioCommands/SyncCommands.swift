import ArgumentParser
import Foundation
import FolioGit
import FolioModel
import FolioRepo
import FolioSync

/// The absolute path of the executable that runs now, for git's merge-driver configuration:
/// the kernel's answer (/proc/self/exe), not argv[0], which is a bare name when folio was found
/// on PATH and relative to a folder the user has since left.
func currentExecutable() -> String {
    if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), resolved.hasPrefix("/") {
        return resolved
    }
    let argv0 = CommandLine.arguments[0]
    if !argv0.contains("/") {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(folder)/\(argv0)"
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return URL(fileURLWithPath: candidate).resolvingSymlinksInPath().path
            }
        }
    }
    return URL(fileURLWithPath: argv0, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        .resolvingSymlinksInPath().standardizedFileURL.path
}

/// `sync` and `pull` notice a merge driver that git could not run (unset, or a folio that is
/// gone) and register the one that runs now, so the next plain `git pull` merges as Folio does.
func repairMergeDriver(_ repo: FolioRepository, _ console: Console) {
    guard let problem = repo.mergeDriverProblem() else { return }
    do {
        try MergeDriver.install(in: repo, executable: currentExecutable())
        console.info("folio: \(problem.missing ? "registered the merge driver" : "re-registered the merge driver (\(problem.sentence.prefix(while: { $0 != "(" }).trimmingCharacters(in: .whitespaces)))") as \(currentExecutable())")
    } catch {
        console.info("folio: warning: \(problem.sentence)")
    }
}

struct RemoteOptions: ParsableArguments {
    @Argument(help: "The remote (default: origin).") var remote: String = "origin"
}

extension Console {
    func printSummary(_ s: SyncSummary, verb: String, _ global: GlobalOptions) {
        let r = s.report
        if global.wantsJSON {
            data(CanonicalJSON.string(.object([
                "remote": .string(s.remote), "incomingCommits": .int(Int64(s.incomingCommits)), "fastForward": .bool(s.fastForward),
                "mergeCommit": s.mergeCommit.map { .string($0.hex) } ?? .null, "merged": .array(r.mergedPaths.map(JSONValue.string)),
                "conflicts": .array(r.conflicts.map { .object(["file": .string($0.path), "id": .string($0.record.id), "path": .string($0.record.path),
                                                               "reason": .string($0.record.reason ?? "")]) }),
                "voidedNumbers": .array(r.voidedNumbers.map(JSONValue.string)),
                "duplicateNumbers": .object(r.duplicateNumbers.mapValues { .array($0.map(JSONValue.string)) }),
                "outgoingCommits": .int(Int64(s.outgoingCommits)), "pushed": .bool(s.pushed), "pushAttempts": .int(Int64(s.pushAttempts)),
                "upToDate": .bool(s.upToDate), "head": s.head.map { .string($0.hex) } ?? .null,
            ])))
            return
        }
        if s.upToDate { data("\(verb): already up to date with \(s.remote)."); return }
        var lines: [String] = []
        if s.incomingCommits > 0 {
            lines.append("in:  \(s.incomingCommits) commit(s) from \(s.remote)" + (s.fastForward ? " (fast-forward)" : ""))
        }
        if let m = s.mergeCommit {
            lines.append("merged: \(r.mergedPaths.count) document(s) changed on both sides, merge commit \(m.hex.prefix(10))")
            for c in r.conflicts { lines.append("  conflict \(c.path)#\(c.record.path): \(c.record.reason ?? "") (folio resolve)") }
            for n in r.voidedNumbers { lines.append("  number \(n) recorded void: the draft was sent on two replicas") }
            for (n, ids) in r.duplicateNumbers.sorted(by: { $0.key < $1.key }) { lines.append("  duplicate number \(n) on \(ids.joined(separator: ", ")): fix one (folio validate reports it)") }
        }
        if s.outgoingCommits > 0 {
            lines.append("out: \(s.outgoingCommits) commit(s) " + (s.pushed ? "pushed to \(s.remote)" : "not pushed") + (s.pushAttempts > 1 ? " after \(s.pushAttempts) attempts" : ""))
        }
        data(lines.isEmpty ? "\(verb): nothing to do." : lines.joined(separator: "\n"))
    }
}

struct SyncCommand: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "sync", abstract: "Fetch, merge and push, retrying a rejected push.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The remote (default: origin).") var remote: String?
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        repairMergeDriver(repo, console)
        let outcome: SyncRound.Outcome
        do { outcome = try SyncRound(repo: repo).run(remote: remote, caller: global.caller(console)) } catch { throw FolioError.wrap(error) }
        if let summary = outcome.summary { console.printSummary(summary, verb: "sync", global) } else { console.info("folio: no remote named \"origin\": syncing the shares only") }
        if !outcome.shares.isEmpty { console.reportShares(outcome.shares) }
        if outcome.refusedShares { throw ExitCode(1) }
    }
}

extension Console {
    func reportShares(_ results: [SharePublication]) {
        for r in results {
            if let commit = r.imported.commit {
                info("folio: share of \(r.customer): brought back \(r.imported.buyerCommits) buyer commit(s) in commit \(commit.hex.prefix(10))")
                for c in r.imported.report.conflicts { info("  conflict \(c.path)#\(c.record.path): \(c.record.reason ?? "") (folio resolve)") }
            }
            for finding in r.imported.findings { info("folio: share of \(r.customer): \(finding)") }
        }
        for r in results where !r.upToDate || r.message != nil {
            if let message = r.message, !r.pushed {
                info("folio: share of \(r.customer) (\(r.url)): \(message)")
            } else {
                info("folio: share of \(r.customer) (\(r.url)): published \(r.shareCommit.map { String($0.hex.prefix(10)) } ?? "-")")
            }
        }
        let same = results.filter(\.upToDate).count
        info("folio: \(results.count - same) share(s) published, \(same) already up to date")
    }
}

struct PullCommand: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Fetch and merge.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var remote: RemoteOptions
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        repairMergeDriver(repo, console)
        do { console.printSummary(try Syncer(repo: repo).pull(remote: remote.remote, caller: global.caller(console)), verb: "pull", global) } catch { throw FolioError.wrap(error) }
    }
}

struct PushCommand: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: "Push main; refused when the remote moved (run sync).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var remote: RemoteOptions
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        do { console.printSummary(try Syncer(repo: repo).push(remote: remote.remote), verb: "push", global) } catch { throw FolioError.wrap(error) }
    }
}

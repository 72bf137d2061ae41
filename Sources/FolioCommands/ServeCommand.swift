import ArgumentParser
import Foundation
import Synchronization
import FolioModel
import FolioRepo
import FolioServer

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Answer seed 004's invoice API and seed 000's approval actions over HTTP (SPEC §11).",
        subcommands: [ServeRun.self, ServeToken.self], defaultSubcommand: ServeRun.self)
}

struct ServeRun: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Serve until interrupted (the default of `folio serve`).")
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Where to listen.", valueName: "HOST:PORT")) var listen = "127.0.0.1:8080"
    @Option(help: ArgumentHelp("Also sync with the remote every SECONDS (it always syncs after a write when the clone has the remote).", valueName: "SECONDS"))
    var syncEvery: Double?
    @Option(help: "The remote to sync with.") var remote = "origin"

    func run(_ console: Console) throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (1...65_535).contains(port) else {
            throw FolioError.usage("--listen \"\(listen)\" is not HOST:PORT")
        }
        let host = String(listen[..<colon])
        let repo = try global.openRepository(console)   // a repository here, or the usual error
        var server = try FolioServer(path: repo.workdir ?? global.path)
        if let every = syncEvery, !(every >= 1) { throw FolioError.usage("--sync-every takes a number of seconds, at least 1") }
        let shares = (try? repo.snapshot().shares().shares.isEmpty == false) ?? false
        if repo.hasRemote(remote) || shares {
            let identity: String
            do { identity = try repo.identityEmail(explicit: global.actingAs) } catch {
                throw FolioError.identity("folio serve syncs with \(remote) as this clone's party: pass --as EMAIL, set FOLIO_USER, or set `git config user.email`")
            }
            server.syncing(remote: repo.hasRemote(remote) ? remote : nil, identity: identity, every: syncEvery)
            console.info("folio serve: syncing with \(repo.hasRemote(remote) ? remote : "the shares") as \(identity) after every write\(syncEvery.map { " and every \($0) s" } ?? "")")
        } else if syncEvery != nil {
            throw FolioError.usage("--sync-every: this clone has no remote named \(remote)")
        }
        console.info("folio serve: listening on http://\(listen) (tokens: `folio serve token EMAIL`)")
        if let signing = try server.serverParty() {
            console.info("folio serve: signing what it writes as server party \(signing)")
        } else if let key = server.key {
            console.info("folio serve: this clone's key is no server party's, so each write is signed only when it is the acting party's own key; to sign every write, a seller runs `folio party add server@HOST --role server --key '\(key.openSSH)'`")
        } else {
            console.info("folio serve: no signing key (FOLIO_SIGNING_KEY or git config user.signingKey): writes go unsigned, and a repository that requires signatures refuses them")
        }
        // The command line is synchronous; the server runs on its own tasks until a signal ends it.
        let finished = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        Task {
            do { try await server.run(host: host, port: port) } catch { outcome.error.withLock { $0 = "\(error)" } }
            finished.signal()
        }
        finished.wait()
        if let error = outcome.error.withLock({ $0 }) { throw FolioError.io("folio serve: \(error)") }
    }

    /// Why the server stopped, written by its task and read once it has ended.
    final class Outcome: Sendable { let error = Mutex<String?>(nil) }
}

struct ServeToken: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Print a token for a party of parties.json (a seller issues them).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The party's email.") var email: String

    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        let snap = try repo.snapshot()
        guard try repo.actor(explicit: global.actingAs, snapshot: snap).isSeller else {
            throw FolioError.refused(Refusal("only a seller issues tokens"))
        }
        guard let party = try snap.parties()[email.lowercased()] else {
            throw FolioError.refused(Refusal("\(email) is not a party of this repository; add it with `folio party add`"))
        }
        guard party.role != .server else { throw FolioError.refused(Refusal("\(email) is a server party; tokens are for sellers and buyers")) }
        console.data(try ServerTokens(repo: repo).issue(for: email))
    }
}

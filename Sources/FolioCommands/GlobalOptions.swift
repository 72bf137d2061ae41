import ArgumentParser
import Foundation
import FolioIndex
import FolioModel
import FolioRepo

/// -C, --as, --json and --idempotency-key, accepted before the command (`folio -C repo --as a@b
/// invoice show X`) and after it.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customShort("C", allowingJoined: true), help: ArgumentHelp("Run as if folio was started in PATH.", valueName: "PATH"))
    var directory: String?

    @Option(name: .customLong("as"), help: ArgumentHelp("Act as this party (else FOLIO_USER, else git config user.email).", valueName: "EMAIL"))
    var identity: String?

    @Flag(help: "Print data as JSON.")
    var json = false

    @Option(help: ArgumentHelp("Writes: a key that makes a retry safe; a write whose key this identity's commits already record is not made again (exit 0).", valueName: "KEY"))
    var idempotencyKey: String?

    var path: String { directory ?? FileManager.default.currentDirectoryPath }
    var actingAs: String? { identity }
    var wantsJSON: Bool { json }

    /// Who acts, now; with --idempotency-key, the digest of what `console`'s command was asked.
    func caller(_ console: Console) -> Caller {
        Caller(identity: actingAs, clock: Clock(), idempotencyKey: idempotencyKey, idempotencyRequest: idempotencyKey.map { _ in Self.requestDigest(console.arguments) })
    }

    /// The command and its arguments, without the options that do not change what is asked
    /// (-C, --as, --json, the key itself), as a short digest (FNV-1a, 64 bits).
    static func requestDigest(_ arguments: [String]) -> String {
        var kept: [String] = []
        var skipNext = false
        for argument in arguments {
            if skipNext { skipNext = false; continue }
            switch width(argument) {
            case 2: skipNext = true
            case 1: continue
            default: kept.append(argument)
            }
        }
        return String(DocumentPaths.fnv1a64(kept.joined(separator: "\u{0}")), radix: 16)
    }

    /// Who acts when the user said so (--as, else FOLIO_USER), for a clone's git identity.
    var explicitIdentity: (email: String, name: String?)? {
        guard let email = actingAs ?? ProcessInfo.processInfo.environment["FOLIO_USER"], !email.isEmpty else { return nil }
        return (email.lowercased(), nil)
    }

    func openRepository(_ console: Console) throws -> FolioRepository {
        let repo = try FolioRepository.open(path)
        repo.notice = { console.info($0) }
        // Numbers resolve through the index: one lookup instead of reading every invoice.
        repo.numberLookup = { [unowned repo] number in
            var query = InvoiceQuery()
            query.number = number
            query.limit = 100
            return try IndexAccess(repo, console).reading { index in try index.invoices(query).page.first { $0.number == number }?.id }
        }
        return repo
    }


    /// How many arguments a global option spelled `argument` takes up: 2 for one followed by
    /// its value (`-C repo`), 1 for a flag or a value joined to it (`--json`, `-Crepo`,
    /// `--as=x`), 0 for anything else. The request digest, the `list` shortcut and messages
    /// about a mistyped command (`folio -C repo invocie show`) read arguments with it.
    static func width(_ argument: String) -> Int {
        if ["-C", "--as", "--idempotency-key"].contains(argument) { return 2 }
        let joined = argument.hasPrefix("--as=") || argument.hasPrefix("--idempotency-key=") || (argument.hasPrefix("-C") && argument.count > 2)
        return argument == "--json" || joined ? 1 : 0
    }

    /// `arguments` without the options and their values: the command's words.
    static func words(_ arguments: [String]) -> [String] { wordPositions(arguments).map { arguments[$0] } }

    /// Whether `arguments[..<end]` holds global options only (with their values), so that
    /// the word at `end` is the command itself.
    static func onlyGlobalOptions(_ arguments: [String], before end: Int) -> Bool {
        var i = 0
        while i < end {
            let taken = width(arguments[i])
            guard taken > 0 else { return false }
            i += taken
        }
        return i == end
    }

    /// Where the command's words are in `arguments`.
    static func wordPositions(_ arguments: [String]) -> [Int] {
        var out: [Int] = []
        var skipNext = false
        for (i, argument) in arguments.enumerated() {
            if skipNext { skipNext = false; continue }
            if width(argument) == 2 { skipNext = true; continue }
            if !argument.hasPrefix("-") { out.append(i) }
        }
        return out
    }
}

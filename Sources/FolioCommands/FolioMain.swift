import ArgumentParser
import Foundation
import FolioIndex
import FolioModel
import FolioRepo

/// Entry point: parses, runs, and turns every failure into SPEC §5's exit codes
/// (0 done, 1 refused or invalid, 2 usage or I/O) with the message on standard error.
public enum FolioMain {
    public static func run(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        exit(execute(arguments))
    }

    public static func execute(_ arguments: [String]) -> Int32 {
        Output.failure = nil
        let code = executeCommand(arguments)
        // Output cut short (a full disk, a closed descriptor) is an I/O error, not success.
        if let failure = Output.failure, code == 0 {
            Output.error("folio: error: \(failure)")
            return 2
        }
        return code
    }

    private static func executeCommand(_ arguments: [String]) -> Int32 {
        let (globals, rest) = GlobalOptions.extractLeading(arguments)
        GlobalOptions.leading = globals
        var command: any ParsableCommand
        if let unknown = unknownHelpTopic(rest) {
            Output.error("folio: error: no command \"\(unknown)\"\(suggestion(for: unknown, among: Folio.configuration.subcommands))\nSee 'folio --help' for the commands.")
            return 2
        }
        do {
            command = try parse(rest)
        } catch {
            let code = Folio.exitCode(for: error)
            if code == .success {
                Output.data(Folio.fullMessage(for: error))
                return 0
            }
            Output.error(usageMessage(for: error, arguments: rest))
            return 2
        }
        do {
            try command.run()
            return 0
        } catch let error as FolioError {
            Output.error(error.exitCode == 0 ? "folio: \(error.description)" : "folio: error: \(error.description)")
            return error.exitCode
        } catch let error as ExitCode {
            return error.rawValue
        } catch let error as ValidationError {
            Output.error("folio: error: \(error.message)")
            return 2
        } catch where Folio.exitCode(for: error) == .success {
            // ArgumentParser answers `--help` and `help` with a command whose run throws the
            // help screen as an error, for its own main() to print.
            Output.data(Folio.fullMessage(for: error))
            return 0
        } catch {
            let wrapped = FolioError.wrap(error)
            Output.error("folio: error: \(wrapped.description)")
            return wrapped.exitCode
        }
    }
}

extension FolioMain {
    /// ArgumentParser's message in Folio's one style (`folio: error: …`), with a suggestion
    /// when the mistake is a mistyped command (`folio invocie show` → invoice).
    static func usageMessage(for error: any Error, arguments: [String]) -> String {
        var text = Folio.fullMessage(for: error)
        if text.hasPrefix("Error: ") { text = "folio: error: " + text.dropFirst("Error: ".count) }
        guard text.contains("unexpected argument") else { return text }
        // The first word that is not a command at its level, and the commands of that level.
        var level: [any ParsableCommand.Type] = Folio.configuration.subcommands
        for word in arguments where !word.hasPrefix("-") {
            guard let match = level.first(where: { $0.configuration.commandName == word }) else {
                let hint = suggestion(for: word, among: level)
                if hint.isEmpty { return text }
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                return (["folio: error: no command \"\(word)\"\(hint)"] + lines.dropFirst().map(String.init)).joined(separator: "\n")
            }
            level = match.configuration.subcommands
            if level.isEmpty { return text }
        }
        return text
    }

    /// `folio help NAME` for a NAME that is no command: ArgumentParser prints the root's help
    /// and exits 0, which a script would take for an answer.
    static func unknownHelpTopic(_ rest: [String]) -> String? {
        guard rest.first == "help", rest.count >= 2 else { return nil }
        var level: [any ParsableCommand.Type] = Folio.configuration.subcommands
        for word in rest.dropFirst() where !word.hasPrefix("-") {
            guard let match = level.first(where: { $0.configuration.commandName == word }) else { return word }
            level = match.configuration.subcommands
            if level.isEmpty { return nil }
        }
        return nil
    }

    /// "; did you mean "invoice"?" for a word within two edits of a command name, else "".
    static func suggestion(for word: String, among commands: [any ParsableCommand.Type]) -> String {
        let names = commands.compactMap { $0.configuration.commandName }
        let scored = names.map { ($0, editDistance(word.lowercased(), $0)) }.filter { $0.1 <= 2 }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        return scored.first.map { "; did you mean \"\($0.0)\"?" } ?? ""
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        var row = Array(0...y.count)
        for i in 1...max(1, x.count) where !x.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(1, y.count) where !y.isEmpty {
                let old = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (x[i - 1] == y[j - 1] ? 0 : 1))
                previous = old
            }
        }
        return x.isEmpty ? y.count : row[y.count]
    }

    /// `rest` as a command. `folio list …`, the command scripts run most, is parsed by
    /// ArgumentParser starting at ListCommand itself: the root's pass weighs every
    /// subcommand's options first (about a twentieth of a `folio list`). Whatever does not
    /// parse cleanly that way (help, a mistake) is parsed again from the root, so that help
    /// and messages read `folio list` as always.
    static func parse(_ rest: [String]) throws -> any ParsableCommand {
        if rest.first == "list", let list = (try? ListCommand.parseAsRoot(Array(rest.dropFirst()))) as? ListCommand { return list }
        return try Folio.parseAsRoot(rest)
    }
}

/// The process environment, read from `environ` itself: the first read of ProcessInfo's
/// costs several times more (Foundation's setup), which a `folio list` notices.
enum ProcessEnvironment {
    static func current() -> [String: String] {
        var out: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
                let key = String(decoding: bytes[..<equals], as: UTF8.self)
                if out[key] == nil { out[key] = String(decoding: bytes[(equals + 1)...], as: UTF8.self) }   // the first wins, as getenv(3)
            }
            entry += 1
        }
        return out
    }
}

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
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n > 0 { offset += n; continue }
                let code = n < 0 ? errno : EIO
                if code == EINTR { continue }
                if code == EAGAIN {
                    // A descriptor left non-blocking by whoever started us: wait until it drains.
                    var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&ready, 1, -1)
                    continue
                }
                if failure == nil {
                    failure = "cannot write to standard \(fd == STDOUT_FILENO ? "output" : "error"): \(String(cString: strerror(code)))"
                }
                return
            }
        }
    }
    /// Progress and confirmations for people go to standard error, so that standard output
    /// stays data a script can read.
    static func info(_ text: String) { error(text) }
}

struct Folio: ParsableCommand {
    static let version = "0.1.0"
    static let configuration = CommandConfiguration(
        commandName: "folio",
        abstract: "Offline-first invoicing whose database is a git repository.",
        discussion: "Global options -C PATH, --as EMAIL and --json may come before the command or after it.",
        version: version,
        subcommands: [
            InitCommand.self, PartyCommand.self, OrderCommand.self, InvoiceCommand.self, ListCommand.self,
            InboxCommand.self, CloneCommand.self, SyncCommand.self, PullCommand.self, PushCommand.self, ConflictsCommand.self, ResolveCommand.self,
            ValidateCommand.self, GenerateCommand.self, DemoCommand.self, MergeDriverCommand.self, IndexCommand.self,
            ConfigCommand.self, FieldCommand.self, SeriesCommand.self, OutboxCommand.self, DeliverCommand.self, HookCommand.self, ShareCommand.self,
        ]
    )
}

/// -C, --as and --json, accepted before the command (`folio -C repo --as a@b invoice show X`)
/// and after it.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customShort("C"), help: ArgumentHelp("Run as if folio was started in PATH.", valueName: "PATH"))
    var directory: String?

    @Option(name: .customLong("as"), help: ArgumentHelp("Act as this party (else FOLIO_USER, else git config user.email).", valueName: "EMAIL"))
    var identity: String?

    @Flag(help: "Print data as JSON.")
    var json = false

    @Option(help: ArgumentHelp("Writes: a key that makes a retry safe; a write whose key this identity's commits already record is not made again (exit 0).", valueName: "KEY"))
    var idempotencyKey: String?

    nonisolated(unsafe) static var leading = (directory: String?.none, identity: String?.none, json: false)

    var path: String { directory ?? GlobalOptions.leading.directory ?? FileManager.default.currentDirectoryPath }
    var actingAs: String? { identity ?? GlobalOptions.leading.identity }
    var wantsJSON: Bool { json || GlobalOptions.leading.json }

    var caller: Caller { Caller(identity: actingAs, clock: Clock(), idempotencyKey: idempotencyKey, idempotencyRequest: idempotencyKey.map { _ in Self.requestDigest() }) }

    /// The command and its arguments, without the options that do not change what is asked
    /// (-C, --as, --json, the key itself), as a short digest (FNV-1a, 64 bits).
    static func requestDigest(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> String {
        var kept: [String] = []
        var skipNext = false
        for argument in arguments {
            if skipNext { skipNext = false; continue }
            if ["-C", "--as", "--idempotency-key"].contains(argument) { skipNext = true; continue }
            if argument == "--json" || argument.hasPrefix("--as=") || argument.hasPrefix("--idempotency-key=") || argument.hasPrefix("-C=") { continue }
            kept.append(argument)
        }
        return String(DocumentPaths.fnv1a64(kept.joined(separator: "\u{0}")), radix: 16)
    }

    /// Who acts when the user said so (--as, else FOLIO_USER), for a clone's git identity.
    var explicitIdentity: (email: String, name: String?)? {
        guard let email = actingAs ?? ProcessInfo.processInfo.environment["FOLIO_USER"], !email.isEmpty else { return nil }
        return (email.lowercased(), nil)
    }

    func openRepository() throws -> FolioRepository {
        let repo = try FolioRepository.open(path)
        repo.notice = { Output.info($0) }
        // Numbers resolve through the index: one lookup instead of reading every invoice.
        repo.numberLookup = { [unowned repo] number in
            var query = InvoiceQuery()
            query.number = number
            query.limit = 100
            return try IndexAccess.reading(repo) { index in try index.invoices(query).page.first { $0.number == number }?.id }
        }
        return repo
    }


    static func extractLeading(_ args: [String]) -> ((directory: String?, identity: String?, json: Bool), [String]) {
        var out = (directory: String?.none, identity: String?.none, json: false)
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "-C", i + 1 < args.count { out.directory = args[i + 1]; i += 2 }
            else if a.hasPrefix("-C"), a.count > 2 { out.directory = String(a.dropFirst(2)); i += 1 }
            else if a == "--as", i + 1 < args.count { out.identity = args[i + 1]; i += 2 }
            else if a.hasPrefix("--as=") { out.identity = String(a.dropFirst(5)); i += 1 }
            else if a == "--json" { out.json = true; i += 1 }
            else { break }
        }
        return (out, Array(args[i...]))
    }
}

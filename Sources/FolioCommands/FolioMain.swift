import ArgumentParser
import Foundation
import FolioIndex
import FolioModel
import FolioRepo

/// Entry point: parses, runs, and turns every failure into SPEC §5's exit codes
/// (0 done, 1 refused or invalid, 2 usage or I/O) with the message on standard error.
public enum FolioMain {
    public static func run(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        exit(execute(.standard(arguments: arguments)))
    }

    /// Runs the console's arguments as `folio` would, writing to it; returns the exit status.
    public static func execute(_ console: Console) -> Int32 {
        let code = executeCommand(console)
        // Output cut short (a full disk, a closed descriptor) is an I/O error, not success.
        if let failure = console.failure, code == 0 {
            console.error("folio: error: \(failure)")
            return 2
        }
        return code
    }

    private static func executeCommand(_ console: Console) -> Int32 {
        let arguments = console.arguments
        var command: any ParsableCommand
        if let unknown = unknownHelpTopic(arguments) {
            return fail(.usage("no command \"\(unknown)\"\(suggestion(for: unknown, among: Folio.configuration.subcommands))\nSee 'folio --help' for the commands."),
                        json: arguments.contains("--json"), console)
        }
        do {
            command = try parse(arguments)
        } catch {
            let code = Folio.exitCode(for: error)
            if code == .success {
                console.data(Folio.fullMessage(for: error))
                return 0
            }
            return fail(.usage(usageMessage(for: error, arguments: arguments)), json: arguments.contains("--json"), console)
        }
        let json = (command as? any FolioCommand)?.global.wantsJSON ?? false
        do {
            if let command = command as? any FolioCommand {
                try command.run(console)
            } else {
                try command.run()
            }
            return 0
        } catch let error as ExitCode {
            return error.rawValue
        } catch let error as ValidationError {
            return fail(.usage(error.message), json: json, console)
        } catch where Folio.exitCode(for: error) == .success {
            // ArgumentParser answers `--help` and `help` with a command whose run throws the
            // help screen as an error, for its own main() to print.
            console.data(Folio.fullMessage(for: error))
            return 0
        } catch {
            return fail(FolioError.wrap(error), json: json, console)
        }
    }

    /// The one place a failure meets the user: `folio: error: SENTENCE` on standard error (a
    /// retry already done is a notice, exit 0), or with --json one object a script can read,
    /// on standard error all the same:
    /// `{"error": {"exitCode": 1, "findings": […], "kind": "refused", "message": "…"}}`.
    static func fail(_ error: FolioError, json: Bool, _ console: Console) -> Int32 {
        if json && error.kind != .alreadyDone {
            console.error(CanonicalJSON.string(.object(["error": .object([
                "kind": .string(error.kind.rawValue), "exitCode": .int(Int64(error.exitCode)), "message": .string(error.message),
                "findings": .array(error.findings.map { Display.json($0) }),
            ])])))
        } else {
            console.error(error.exitCode == 0 ? "folio: \(error.description)" : "folio: error: \(error.description)")
        }
        return error.exitCode
    }
}

extension FolioMain {
    /// ArgumentParser's message without its "Error: " (`fail` frames it in Folio's one style),
    /// with a suggestion when the mistake is a mistyped command (`folio invocie show` → invoice).
    static func usageMessage(for error: any Error, arguments: [String]) -> String {
        var text = Folio.fullMessage(for: error)
        if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
        guard text.lowercased().contains("unexpected argument") else { return text }
        // The first word that is not a command at its level, and the commands of that level.
        var level: [any ParsableCommand.Type] = Folio.configuration.subcommands
        for word in GlobalOptions.words(arguments) {
            guard let match = level.first(where: { $0.configuration.commandName == word }) else {
                let hint = suggestion(for: word, among: level)
                if hint.isEmpty { return text }
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                return (["no command \"\(word)\"\(hint)"] + lines.dropFirst().map(String.init)).joined(separator: "\n")
            }
            level = match.configuration.subcommands
            if level.isEmpty { return text }
        }
        return text
    }

    /// `folio help NAME` for a NAME that is no command: ArgumentParser prints the root's help
    /// and exits 0, which a script would take for an answer.
    static func unknownHelpTopic(_ arguments: [String]) -> String? {
        let words = GlobalOptions.words(arguments)
        guard words.first == "help", words.count >= 2 else { return nil }
        var level: [any ParsableCommand.Type] = Folio.configuration.subcommands
        for word in words.dropFirst() {
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

    /// `arguments` as a command. `folio list …`, the command scripts run most, is parsed by
    /// ArgumentParser starting at ListCommand itself: the root's pass weighs every
    /// subcommand's options first (about a twentieth of a `folio list`). Whatever does not
    /// parse cleanly that way (help, a mistake) is parsed again from the root, so that help
    /// and messages read `folio list` as always.
    static func parse(_ arguments: [String]) throws -> any ParsableCommand {
        if let at = GlobalOptions.wordPositions(arguments).first, arguments[at] == "list", GlobalOptions.onlyGlobalOptions(arguments, before: at) {
            var rest = arguments
            rest.remove(at: at)
            if let list = (try? ListCommand.parseAsRoot(rest)) as? ListCommand { return list }
        }
        return try Folio.parseAsRoot(arguments)
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

struct Folio: ParsableCommand {
    static let version = "0.1.0"
    static let configuration = CommandConfiguration(
        commandName: "folio",
        abstract: "Offline-first invoicing whose database is a git repository.",
        discussion: "Global options -C PATH, --as EMAIL, --json and --idempotency-key KEY may come before the command or after it.",
        version: version,
        subcommands: [
            InitCommand.self, PartyCommand.self, OrderCommand.self, InvoiceCommand.self, ListCommand.self,
            InboxCommand.self, CloneCommand.self, SyncCommand.self, PullCommand.self, PushCommand.self, ConflictsCommand.self, ResolveCommand.self,
            ValidateCommand.self, GenerateCommand.self, DemoCommand.self, MergeDriverCommand.self, IndexCommand.self,
            ConfigCommand.self, FieldCommand.self, SeriesCommand.self, OutboxCommand.self, DeliverCommand.self, HookCommand.self, ShareCommand.self,
            ServeCommand.self,
        ]
    )

    /// Given before the command (`folio -C repo list`); every command declares the same group,
    /// and ArgumentParser hands the values down to it.
    @OptionGroup var global: GlobalOptions
}

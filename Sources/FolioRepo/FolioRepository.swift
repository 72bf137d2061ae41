public import Foundation
public import FolioGit
public import FolioModel
public import FolioTrust

/// A Folio data repository: documents in, commits out. Reads come from commits, never from
/// the working tree, so a half-edited file on disk cannot leak into what Folio decides.
public final class FolioRepository {
    public let git: GitRepository

    /// Finds the id of the invoice numbered `number` at HEAD, or nil. A front end with an
    /// index sets a fast one; without it, `invoiceID(for:)` reads the invoices.
    public var numberLookup: ((String) throws -> String?)?

    /// Where sentences for the user that are neither data nor errors go (the command line:
    /// standard error), such as what was cleaned up after an interrupted command.
    public var notice: (String) -> Void = { _ in }

    public init(git: GitRepository) { self.git = git }

    // What front ends ask of the clone itself, so they need not reach into the git layer.

    /// The working tree's folder (nil for a bare repository).
    public var workdir: String? { git.workdir }

    public func hasRemote(_ name: String) -> Bool { ((try? git.remoteURL(name)) ?? nil) != nil }

    public func addRemote(_ name: String, url: String) throws {
        do { try git.addRemote(name, url: url) } catch { throw FolioError.wrap(error) }
    }

    /// A file of this clone that is never committed (`.git/folio/NAME`): caches, secrets.
    public func privatePath(_ name: String) -> String { git.gitDir + "/folio/" + name }

    /// This clone's own git setting `key` (such as `folio.deliver`); nil when unset.
    public func localSetting(_ key: String) -> String? { (try? git.config(key)) ?? nil }

    /// The commits that changed one document, newest first, each with the document's blob
    /// there (nil where it was deleted).
    public func history(of kind: DocumentKind, id: String, from head: GitOID) throws -> [(commit: GitCommitInfo, blob: GitOID?)] {
        do { return try git.log(path: DocumentPaths.path(kind, id: id), from: head) } catch { throw FolioError.wrap(error) }
    }

    /// How many commits HEAD's history holds.
    public func commitCount(from head: GitOID) throws -> Int {
        do { return try git.walk(from: head, hiding: nil).count } catch { throw FolioError.wrap(error) }
    }

    public static func open(_ path: String) throws -> FolioRepository {
        let git: GitRepository
        do { git = try GitRepository.open(at: path) } catch {
            throw FolioError.notARepository(path: path, detail: "no git repository here or above")
        }
        let repo = FolioRepository(git: git)
        guard let head = try repo.head(), (try? git.blobID(path: DocumentPaths.config, at: head)) != nil else {
            throw FolioError.notARepository(path: path, detail: "\(DocumentPaths.config) is not committed")
        }
        return repo
    }

    /// The repository git's hook environment names (GIT_DIR, and the quarantined objects of a
    /// push being received): what a pre-receive hook checks.
    public static func openFromEnvironment() throws -> FolioRepository {
        do { return FolioRepository(git: try GitRepository.openFromEnvironment()) } catch { throw FolioError.wrap(error) }
    }

    /// A new bare repository at `path` (a remote to sync through).
    public static func createBare(at path: String) throws {
        do { _ = try GitRepository.create(at: path, bare: true) } catch { throw FolioError.wrap(error) }
    }

    /// The hooks folder of the bare repository at `path`, for a server-side hook.
    public static func hooksFolder(ofBare path: String) throws -> String {
        let git: GitRepository
        do { git = try GitRepository.open(at: path) } catch { throw FolioError.notARepository(path: path, detail: "no git repository") }
        guard git.isBare else { throw FolioError.usage("\(path) is not a bare repository; install the hook where clones push to") }
        return git.gitDir + "/hooks"
    }

    /// Whether this clone's HEAD and `other`'s hold the same tree.
    public func sameHeadTree(as other: FolioRepository) throws -> Bool {
        do {
            guard let x = try git.headCommit(), let y = try other.git.headCommit() else { return false }
            return try git.commitInfo(x).tree == other.git.commitInfo(y).tree
        } catch { throw FolioError.wrap(error) }
    }

    /// Lines of `.gitattributes` that route documents through Folio's merge driver.
    public static let gitattributes = """
        # Folio: documents merge by what their fields mean (folio merge-driver).
        /invoices/**/*.json merge=folio
        /orders/**/*.json merge=folio
        /.folio/**/*.json merge=folio

        """

    public static func initialize(at path: String, config: FolioConfig, parties: Parties, fields: FieldDefinitions = FieldDefinitions(), author: String, clock: Clock) throws -> FolioRepository {
        let git: GitRepository
        do {
            if let existing = try? GitRepository.open(at: path), existing.workdir.map({ URL(fileURLWithPath: $0).standardizedFileURL.path }) == URL(fileURLWithPath: path).standardizedFileURL.path {
                if let head = try existing.headCommit(), try existing.blobID(path: DocumentPaths.config, at: head) != nil {
                    throw FolioError.refused(Refusal("\(path) is already a Folio repository"))
                }
                git = existing
            } else {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                git = try GitRepository.create(at: path, bare: false, initialBranch: "main")
            }
        } catch { throw FolioError.wrap(error) }
        let repo = FolioRepository(git: git)
        var changes = Changes()
        changes.put(DocumentPaths.config, config)
        changes.put(DocumentPaths.parties, parties)
        changes.put(DocumentPaths.fields, fields)
        changes.files[DocumentPaths.gitattributes] = Data(gitattributes.utf8)
        let actor = Actor(email: author, party: parties[author] ?? Party(role: .seller))
        _ = try repo.withWriteLock {
            try repo.commit(changes, message: "Initialize Folio repository for \(config.company.name)", actor: actor, clock: clock, parent: try repo.head()).commit
        }
        return repo
    }

    /// SPEC §5: wherever a command takes an invoice id it also takes the invoice's number.
    /// An existing id wins; otherwise a text that reads as a number (PREFIX-SEQUENCE) is
    /// looked up. Unknown texts come back unchanged, for the command's own "not found".
    public func invoiceID(for text: String) throws -> String {
        let snap = try snapshot()
        if DocumentPaths.validateID(text) == nil, try snap.contains(DocumentPaths.path(.invoice, id: text)) { return text }
        guard Series.parse(text) != nil else { return text }
        if let numberLookup { return try numberLookup(text) ?? text }
        guard let commit = snap.commit else { return text }
        let needle = Data("\"number\": \"\(text)\"".utf8)
        do {
            for entry in try git.listFiles(at: commit, under: DocumentKind.invoice.folder) where entry.path.hasSuffix(".json") {
                let data = try git.readBlob(entry.blob)
                if data.range(of: needle) != nil, let json = try? DocumentCodec.parse(data, file: entry.path),
                   json["number"]?.stringValue == text, let id = json["id"]?.stringValue { return id }
            }
        } catch { throw FolioError.wrap(error) }
        return text
    }

    public func head() throws -> GitOID? {
        do { return try git.headCommit() } catch { throw FolioError.wrap(error) }
    }

    public func snapshot() throws -> Snapshot {
        Snapshot(git: git, commit: try head(), cache: documentCache)
    }

    /// Shared by the repositories a long-running process opens (the HTTP server opens one per
    /// request); nil for a command, which reads each document once anyway.
    public var documentCache: DocumentCache?

    /// The key of the server party that signs this handle's commits for the parties it
    /// authenticates (`folio serve`, SPEC §11); nil: each party signs for itself.
    public var serverSigner: (any SSHSigner)?

    public func snapshot(at commit: GitOID) -> Snapshot { Snapshot(git: git, commit: commit) }

    /// --as, else FOLIO_USER, else `git config user.email` (SPEC §3); the identity must be a
    /// party of the repository.
    public func actor(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment, snapshot: Snapshot) throws -> Actor {
        let email = try identityEmail(explicit: explicit, environment: environment)
        let parties = try snapshot.parties()
        guard let party = parties[email] else {
            throw FolioError.identity("\(email) is not a party of this repository (\(DocumentPaths.parties)); a seller adds it with `folio party add \(email) --role seller|buyer`")
        }
        guard party.role != .server else {
            throw FolioError.identity("\(email) is a server party: it signs what `folio serve` writes for the parties it authenticates and never acts itself; act as a seller or a buyer")
        }
        return Actor(email: email.lowercased(), party: party)
    }

    /// What the acting identity may read (SPEC §3): a buyer only its customer's documents.
    /// Reading needs no identity otherwise: a clone without one (CI) sees everything, and so
    /// does a git `user.email` that is not a party; a named identity (--as, FOLIO_USER) must
    /// be a party.
    public func visibility(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment, snapshot: Snapshot) throws -> Visibility {
        let named = explicit ?? environment["FOLIO_USER"]
        guard let email = try? identityEmail(explicit: explicit, environment: environment) else { return .everything }
        guard let party = try snapshot.parties()[email] else {
            if named != nil { throw FolioError.identity("\(email) is not a party of this repository") }
            return .everything
        }
        return party.role == .buyer ? .customer(email: email, id: party.customerId ?? "") : .everything
    }

    public func identityEmail(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let explicit, !explicit.isEmpty { return explicit.lowercased() }
        if let env = environment["FOLIO_USER"], !env.isEmpty { return env.lowercased() }
        if let configured = try? git.config("user.email"), !configured.isEmpty { return configured.lowercased() }
        throw FolioError.identity("who is acting? pass --as EMAIL, set FOLIO_USER, or set `git config user.email`")
    }

    /// This clone's identity as a replica (`git config folio.replica`), made on first need.
    /// Series are claimed by replicas, not by people: a seller's two clones are two replicas.
    public func replicaID() throws -> String {
        if let id = try? git.config("folio.replica"), !id.isEmpty { return id }
        let id = IDs.make("r-")
        do { try git.setConfig("folio.replica", id) } catch { throw FolioError.wrap(error) }
        return id
    }

    /// The series this clone issues numbers from: `git config folio.series`, else the
    /// seller's series in parties.json, else one derived from the seller's email.
    public func seriesPrefix(for actor: Actor) -> String {
        if let local = try? git.config("folio.series"), !local.isEmpty { return local }
        return actor.party.series ?? Series.defaultPrefix(for: actor.email)
    }

    /// Takes the next number of this clone's series and records it in `changes`.
    public func nextNumber(for actor: Actor, snapshot: Snapshot, changes: inout Changes, clock: Clock) throws -> String {
        let prefix = seriesPrefix(for: actor)
        if let problem = Series.validatePrefix(prefix) { throw FolioError.usage("series \"\(prefix)\" \(problem); set it with `git config folio.series PREFIX`") }
        let path = DocumentPaths.series(prefix)
        var state: SeriesState
        if let pending = changes.files[path], let data = pending {
            state = try DocumentCodec.decode(SeriesState.self, data: data, schema: Schemas.series, file: path).0
        } else if let data = try snapshot.data(path) {
            state = try DocumentCodec.decode(SeriesState.self, data: data, schema: Schemas.series, file: path).0
        } else {
            state = SeriesState(prefix: prefix, last: 0, void: nil)
        }
        let replica = try replicaID()
        if let claim = state.claim, claim.replica != replica {
            throw FolioError.refused(Refusal("series \(prefix) belongs to another clone (claimed by \(claim.by) on \(claim.at.prefix(10)), replica \(claim.replica)); every clone issues from a series of its own so that numbers never collide. Give this clone one with `folio series claim PREFIX`"))
        }
        if state.claim == nil { state.claim = SeriesClaim(replica: replica, by: actor.email, at: clock.timestamp) }
        state.last += 1
        changes.put(path, state)
        return Series.format(prefix: prefix, sequence: state.last, padding: try snapshot.config().numbering.padding)
    }

    /// One action, one commit, authored by the acting identity (SPEC §3), on exactly the commit
    /// `parent` the action read: if the branch is elsewhere by now, nothing is written
    /// (`.concurrentWrite`) and the caller decides again on the new state.
    ///
    /// Once the branch has moved the commit stands: a checkout that fails after it (a lock
    /// that another git process holds) is a warning, not an error, and the pending record
    /// lets the next Folio command finish it. A command must never report failure for a
    /// commit that landed: a script would retry it.
    public func commit(_ changes: Changes, message: String, actor: Actor, clock: Clock, parent: GitOID?) throws -> (commit: GitOID, warnings: [String]) {
        let signature = GitSignature(name: actor.party.name ?? actor.email, email: actor.email, time: clock.unixSeconds)
        let prepared: GitRepository.PreparedCommit
        let signer = try commitSigner(for: actor, parent: parent)
        do { prepared = try git.prepareCommit(changes.files, message: message, author: signature, parent: parent, signer: signer) } catch { throw FolioError.wrap(error) }
        let record = try OperationRecord.begin(gitDir: git.gitDir, locks: writeLocks(branch: prepared.branch),
                                               old: parent, new: prepared.commit, paths: prepared.paths)
        do {
            FaultPoint.reach("write.before-branch")
            try git.moveBranch(prepared)
        } catch {
            record.end()
            throw FolioError.wrap(error)
        }
        var warnings: [String] = []
        if !git.isBare {
            do {
                FaultPoint.reach("write.before-checkout")
                try git.checkout(paths: prepared.paths, from: parent, to: prepared.commit)
            } catch {
                let why = (error as? GitError).flatMap(FolioError.lockedFile).map { "\($0) is held by another git process" } ?? FolioError.wrap(error).description
                warnings.append("the commit is made, but the working tree is not yet in step (\(why)); the next folio command finishes it")
                record.keepForCheckoutOnly()
                return (prepared.commit, warnings)
            }
        }
        FaultPoint.reach("write.before-end")
        record.end()
        if changes.files.keys.contains(DocumentPaths.parties) { try? refreshAllowedSigners() }
        return (prepared.commit, warnings)
    }

    /// Runs `body` holding this clone's write lock (see `WriteLock`): Folio's commands on one
    /// clone wait for each other instead of failing or committing over each other. What a
    /// killed command left behind is cleaned up first.
    public func withWriteLock<T>(_ body: () throws -> T) throws -> T {
        let lock = try WriteLock.acquire(gitDir: git.gitDir)
        for sentence in recoverInterruptedOperations() { notice(sentence) }
        return try withExtendedLifetime(lock) { try body() }
    }
}

public enum Visibility: Equatable {
    case everything
    case customer(email: String, id: String)

    public func allows(customerID: String?) -> Bool {
        switch self {
        case .everything: true
        case .customer(_, let id): customerID == id
        }
    }

    /// The customer a buyer is limited to (SPEC §3); nil when everything is visible.
    public var customerID: String? {
        if case .customer(_, let id) = self { return id }
        return nil
    }

    /// Refuses to show a buyer another customer's invoice (SPEC §3).
    public func check(_ invoice: Invoice) throws {
        if case .customer(let email, let id) = self, !allows(customerID: invoice.customer.id) {
            throw FolioError.refused(Refusal("\(email) is a buyer for customer \(id) and cannot see invoices of \(invoice.customer.id)"))
        }
    }
}

/// The files a command writes, as canonical bytes (nil deletes).
public struct Changes {
    public var files: [String: Data?] = [:]
    public init() {}

    public mutating func put<T: Encodable>(_ path: String, _ value: T) {
        files[path] = DocumentCodec.encode(value)
    }

    /// Invoices are always written with their derived fields recomputed (SPEC §2).
    public mutating func put(invoice: Invoice) throws {
        do {
            let derived = try invoice.derived()
            files[DocumentPaths.path(.invoice, id: invoice.id)] = DocumentCodec.encode(derived)
        } catch {
            throw FolioError.invalid(DocumentError(file: DocumentPaths.path(.invoice, id: invoice.id), pointer: error.pointer, rule: "arith/overflow", error.description))
        }
    }

    public mutating func put(order: Order) {
        put(DocumentPaths.path(.order, id: order.id), order)
    }
}

extension ArithmeticError {
    var pointer: String {
        switch self {
        case .invalidDecimal(let p, _), .overflow(let p): p
        }
    }
}

/// The repository as of one commit.
public struct Snapshot {
    let git: GitRepository
    public let commit: GitOID?
    var cache: DocumentCache? = nil

    public func data(_ path: String) throws -> Data? {
        guard let commit else { return nil }
        do { return try git.readFile(path: path, at: commit) } catch { throw FolioError.wrap(error) }
    }

    /// Whether a file is at `path`, without reading it.
    public func contains(_ path: String) throws -> Bool {
        guard let commit else { return false }
        do { return try git.blobID(path: path, at: commit) != nil } catch { throw FolioError.wrap(error) }
    }

    func required<T: Decodable>(_ path: String, _ schema: Schema, _ type: T.Type) throws -> T {
        guard let data = try data(path) else { throw FolioError.notARepository(path: path, detail: "\(path) is missing") }
        do { return try DocumentCodec.decode(type, data: data, schema: schema, file: path).0 } catch { throw FolioError.wrap(error) }
    }

    public func config() throws -> FolioConfig { try required(DocumentPaths.config, Schemas.config, FolioConfig.self) }
    public func parties() throws -> Parties {
        // parties.json names every buyer (2,000 of them: 10 ms to parse); a server asks on every
        // request, so it keeps each version parsed, found by its blob id.
        if let cache, let commit, let blob = try? git.blobID(path: DocumentPaths.parties, at: commit) {
            return try cache.parties(blob) { try required(DocumentPaths.parties, Schemas.parties, Parties.self) }
        }
        return try required(DocumentPaths.parties, Schemas.parties, Parties.self)
    }
    public func shares() throws -> Shares {
        guard try data(DocumentPaths.shares) != nil else { return Shares() }
        return try required(DocumentPaths.shares, Schemas.shares, Shares.self)
    }
    public func fields() throws -> FieldDefinitions {
        guard try data(DocumentPaths.fields) != nil else { return FieldDefinitions() }
        return try required(DocumentPaths.fields, Schemas.fields, FieldDefinitions.self)
    }

    /// Every numbering series' state, by prefix.
    public func seriesStates() throws -> [SeriesState] {
        guard let commit else { return [] }
        do {
            return try git.listFiles(at: commit, under: DocumentPaths.seriesFolder).compactMap { entry in
                try? DocumentCodec.decode(SeriesState.self, data: try git.readBlob(entry.blob), schema: Schemas.series, file: entry.path).0
            }.sorted { $0.prefix < $1.prefix }
        } catch { throw FolioError.wrap(error) }
    }

    public func order(_ id: String) throws -> (Order, JSONValue) {
        try document(.order, id, Schemas.order, Order.self)
    }

    public func invoice(_ id: String) throws -> (Invoice, JSONValue) {
        try document(.invoice, id, Schemas.invoice, Invoice.self)
    }

    func document<T: Decodable>(_ kind: DocumentKind, _ id: String, _ schema: Schema, _ type: T.Type) throws -> (T, JSONValue) {
        if let problem = DocumentPaths.validateID(id) { throw FolioError.usage("\(kind.rawValue) id \"\(id)\" \(problem)") }
        let path = DocumentPaths.path(kind, id: id)
        guard let data = try data(path) else { throw FolioError.notFound(kind: kind.rawValue, id: id) }
        do { return try DocumentCodec.decode(type, data: data, schema: schema, file: path) } catch { throw FolioError.wrap(error) }
    }

    /// Every file of the tree that Folio reads, for validation.
    public func folioFiles() throws -> [String: Data] {
        try folioTree().files
    }

    /// SPEC §7's state checks of this commit, and the submodule links found where files
    /// belong. The settings are read first; the documents stream through the worker pool,
    /// which keeps only what the checks across documents need (`Validation`).
    public func validateTree() throws -> (findings: [Finding], submoduleLinks: [String]) {
        guard let commit else { return (Validation(files: [:]).finish(), []) }
        var settings: [String: Data] = [:]
        var documents: [GitTreeEntry] = []
        var links: [String] = []
        do {
            // A handle of its own, freed before the documents stream, and no object cache: each
            // tree is read once (they were a third of the memory at 100,000 invoices).
            try {
                let lister = try GitRepository.open(at: git.gitDir)
                for prefix in [".folio", "orders", "invoices"] {
                    for entry in try lister.listFiles(at: commit, under: prefix, submoduleLinks: &links, cachingTrees: false) {
                        if DocumentPaths.parse(entry.path) != nil { documents.append(entry) } else { settings[entry.path] = try lister.readBlob(entry.blob) }
                    }
                }
            }()
            documents.sort { $0.path < $1.path }
            var validation = Validation(files: settings)
            validation.expect(invoices: documents.count { $0.path.hasPrefix(DocumentKind.invoice.folder + "/") })
            let reader = validation
            try git.mapBlobs(documents, blob: { $0.blob }, transform: { entry, data in reader.analyse(path: entry.path, data: data) },
                             consume: { validation.add($0) })
            // The listing is not needed by the checks across documents; they need its room.
            documents = []
            return (validation.finish(), links)
        } catch { throw FolioError.wrap(error) }
    }

    /// Every file Folio reads, and the submodule links found where files belong.
    public func folioTree() throws -> (files: [String: Data], submoduleLinks: [String]) {
        guard let commit else { return ([:], []) }
        var out: [String: Data] = [:]
        var links: [String] = []
        do {
            for prefix in [".folio", "orders", "invoices"] {
                for entry in try git.listFiles(at: commit, under: prefix, submoduleLinks: &links) {
                    out[entry.path] = try git.readBlob(entry.blob)
                }
            }
        } catch { throw FolioError.wrap(error) }
        return (out, links)
    }

    /// All invoices that decode; the ones that don't are returned as findings so that a
    /// listing never silently drops a document.
    public func invoices() throws -> (invoices: [Invoice], problems: [Finding]) {
        guard let commit else { return ([], []) }
        var out: [Invoice] = []
        var problems: [Finding] = []
        do {
            let entries = try git.listFiles(at: commit, under: "invoices").filter { $0.path.hasSuffix(".json") }
            // Read and decoded on the worker pool; the results come back in path order.
            try git.mapBlobs(entries, blob: { $0.blob }, transform: { entry, data in
                Result { () throws(DocumentError) -> Invoice in try DocumentCodec.decode(Invoice.self, data: data, schema: Schemas.invoice, file: entry.path).0 }
            }, consume: { result in
                switch result {
                case .success(let invoice): out.append(invoice)
                case .failure(let error): problems.append(contentsOf: error.findings)
                }
            })
        } catch { throw FolioError.wrap(error) }
        return (out, problems)
    }

    public func orders() throws -> [Order] {
        guard let commit else { return [] }
        var out: [Order] = []
        do {
            for entry in try git.listFiles(at: commit, under: "orders") where entry.path.hasSuffix(".json") {
                if let o = try? DocumentCodec.decode(Order.self, data: try git.readBlob(entry.blob), schema: Schemas.order, file: entry.path).0 { out.append(o) }
            }
        } catch { throw FolioError.wrap(error) }
        return out
    }
}

/// Settings documents parsed once per version for a long-running process, keyed by blob id.
public final class DocumentCache: @unchecked Sendable {
    private let lock = NSLock()
    private var parties: [GitOID: Parties] = [:]

    public init() {}

    func parties(_ blob: GitOID, parse: () throws -> Parties) throws -> Parties {
        if let known = lock.withLock({ parties[blob] }) { return known }
        let parsed = try parse()
        lock.withLock {
            if parties.count > 16 { parties.removeAll() }   // old versions: a few at a time at most
            parties[blob] = parsed
        }
        return parsed
    }
}

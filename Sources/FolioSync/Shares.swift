import Foundation
public import FolioGit
public import FolioModel
public import FolioRepo

/// Confidential shares (SPEC §10): for each customer, a projection of the seller's history
/// that holds only that customer's orders and invoices, and the settings and party entries
/// its buyers need. No blob, tree or commit of another customer is ever part of it.
///
/// The projection is a function of the seller's commits alone, so every seller replica that
/// publishes the same history writes byte-identical share commits, and a share can be
/// rebuilt at any time and comes out the same:
/// - a seller commit's share tree is its first parent's share tree with the commit's own
///   changes applied, kept only where they concern the customer (its documents, by their
///   `customer.id`; `.folio/config.json`, `.folio/fields.json`, `.gitattributes`; and
///   `.folio/parties.json` with the sellers and this customer's buyers only);
/// - a commit that changes nothing of that is not in the share: it maps to its parent's share
///   commit; a merge maps to a merge of its parents' share commits when they differ;
/// - author, committer and dates are the seller commit's; its message too when every change it
///   made is in the share, else a message that names nothing of other customers; share
///   commits are not signed (the buyers' answers carry their own signatures).
public struct ShareProjector {
    public let git: GitRepository
    public let customer: String
    /// Seller commit → share commit (nil: the commit has no share commit at all, i.e. the
    /// customer had nothing yet).
    var map: [GitOID: GitOID?] = [:]
    /// What each seller commit changed, grouped by customer: read once for all shares.
    let changes: SellerChanges

    public init(git: GitRepository, customer: String, known: [GitOID: GitOID?] = [:], changes: SellerChanges? = nil) {
        self.git = git
        self.customer = customer
        self.map = known
        self.changes = changes ?? SellerChanges(git: git)
    }

    static let sharedFiles: Set<String> = [DocumentPaths.config, DocumentPaths.fields, DocumentPaths.gitattributes]

    /// The share commit for `head` (nil: nothing to share yet), projecting every seller commit
    /// not projected before.
    public mutating func project(_ head: GitOID) throws -> GitOID? {
        if let known = map[head] { return known }
        let known = Array(map.keys)
        for commit in try git.walk(from: head, hidingAll: known) where map[commit] == nil {
            map[commit] = try projectOne(commit)
        }
        return map[head] ?? nil
    }

    /// The mapping so far (to keep between runs).
    public var mapping: [GitOID: GitOID?] { map }

    func projectOne(_ commit: GitOID) throws -> GitOID? {
        let info = try git.commitInfo(commit)
        var parents: [GitOID] = info.parents.compactMap { map[$0] ?? nil }
        // A commit that brought buyers' work back from this share has the share commit it took
        // as a second parent, so the share fast-forwards to it (the buyers' commits stay).
        if info.parents.count == 1, let trailer = ShareImportTrailer(message: info.message), trailer.customer == customer {
            guard (try? git.commitInfo(trailer.shareCommit)) != nil else {
                throw FolioError.io("commit \(commit.hex.prefix(10)) brought back share commit \(trailer.shareCommit.hex.prefix(10)) of customer \(customer), which this repository does not have; `folio share publish \(customer)` fetches it from the share")
            }
            parents.append(trailer.shareCommit)
        }
        var mappedParents: [GitOID] = []
        for p in parents where !mappedParents.contains(p) { mappedParents.append(p) }
        let first = info.parents.first
        let baseTree = try (first.flatMap { map[$0] ?? nil }).map { try git.commitInfo($0).tree }
        var changes: [String: Data?] = [:]
        var blobs: [String: GitOID] = [:]
        let grouped = try self.changes.grouped(commit, firstParent: first)
        let mine = grouped.byCustomer[customer] ?? []
        // Nothing of this customer's: the commit is not in the share (the common case, read
        // from the grouping without touching git).
        if mine.isEmpty && grouped.shared.isEmpty && grouped.parties == nil && mappedParents.count <= 1 && baseTree != nil { return mappedParents.first }
        var dropped = grouped.byCustomer.count > (mine.isEmpty ? 0 : 1) || grouped.other || grouped.parties != nil
        // Every share commit says whose share it is (validate then leaves the series to the
        // seller's repository).
        if baseTree == nil { changes[DocumentPaths.shareMarker] = .some(Data(CanonicalJSON.bytes(.object(["customer": .string(customer)])))) }
        for change in mine + grouped.shared {
            if let blob = change.newBlob { blobs[change.path] = blob } else { changes[change.path] = .some(nil) }
        }
        if let parties = grouped.parties {
            changes[parties.path] = .some(try parties.newBlob.map { try filteredParties(self.changes.parties($0)) })
            dropped = true
        }
        if changes.isEmpty && blobs.isEmpty && mappedParents.count <= 1 { return mappedParents.first }
        let tree = try git.writeTree(base: baseTree, changes: changes, blobs: blobs)
        if mappedParents.count == 1, try git.commitInfo(mappedParents[0]).tree == tree { return mappedParents[0] }
        if mappedParents.count >= 2 {
            // A merge whose result is one parent's tree, that parent holding the other: no
            // merge commit is needed in the share.
            for p in mappedParents where try git.commitInfo(p).tree == tree {
                var holdsAll = true
                for other in mappedParents where other != p { if !(try git.isAncestor(other, of: p)) { holdsAll = false } }
                if holdsAll { return p }
            }
        }
        if mappedParents.isEmpty && tree == GitOID.emptyTreeID { return nil }
        let message = !dropped && info.parents.count <= 1 ? info.message : "Update the documents shared with customer \(customer)"
        return try git.createCommit(tree: tree, parents: mappedParents, message: message, author: info.author, committer: info.committer)
    }


    /// parties.json with the sellers and this customer's buyers: nobody learns who buys for
    /// another customer.
    func filteredParties(_ parties: Parties) -> Data {
        let kept = Parties(parties: parties.parties.filter { $0.value.role != .buyer || $0.value.customerId == customer })
        return DocumentCodec.encode(kept)
    }
}

/// Each seller commit's changes against its first parent, grouped by the customer whose
/// document changed (read once, whatever the number of shares), the shared settings apart.
public final class SellerChanges: @unchecked Sendable {
    public struct Grouped {
        var byCustomer: [String: [GitTreeChange]] = [:]
        var shared: [GitTreeChange] = []
        var parties: GitTreeChange?
        /// Something no share holds changed (series, the shares list, other files).
        var other = false
    }

    let git: GitRepository
    var byCommit: [GitOID: Grouped] = [:]
    var owners: [GitOID: String] = [:]
    var partiesByBlob: [GitOID: Parties] = [:]

    public init(git: GitRepository) { self.git = git }
    public convenience init(repo: FolioRepository) { self.init(git: repo.git) }

    func grouped(_ commit: GitOID, firstParent: GitOID?) throws -> Grouped {
        if let known = byCommit[commit] { return known }
        var g = Grouped()
        for change in try git.diff(from: firstParent, to: commit) {
            let path = change.path
            if DocumentPaths.parse(path) != nil {
                guard let blob = change.newBlob ?? change.oldBlob, let owner = try owner(blob, path) else { g.other = true; continue }
                g.byCustomer[owner, default: []].append(change)
            } else if ShareProjector.sharedFiles.contains(path) {
                g.shared.append(change)
            } else if path == DocumentPaths.parties {
                g.parties = change
            } else {
                g.other = true
            }
        }
        byCommit[commit] = g
        return g
    }

    /// A version of parties.json, read once for all shares.
    func parties(_ blob: GitOID) throws -> Parties {
        if let known = partiesByBlob[blob] { return known }
        let parties = try DocumentCodec.decode(Parties.self, data: git.readBlob(blob), schema: Schemas.parties, file: DocumentPaths.parties).0
        partiesByBlob[blob] = parties
        return parties
    }

    /// The customer a document belongs to (`customer.id`), by blob: a customer never changes.
    func owner(_ blob: GitOID, _ path: String) throws -> String? {
        if let known = owners[blob] { return known }
        let owner = (try? DocumentCodec.parse(try git.readBlob(blob), file: path))?["customer"]?["id"]?.stringValue
        if let owner { owners[blob] = owner }
        return owner
    }
}

/// What bringing back a share's buyer commits did (SPEC §10).
public struct ShareImport: Sendable {
    /// The buyers' commits found in the share (not projections of the seller's history).
    public var buyerCommits = 0
    /// The seller's commit that merged them into this repository.
    public var commit: GitOID?
    public var report = MergeReport()
    /// Why the buyers' commits were refused: nothing was brought back, nothing published.
    public var findings: [Finding] = []
    /// Why bringing back waits (the share holds another seller replica's publication).
    public var deferred: String?
}

/// What publishing did for one share.
public struct SharePublication: Sendable {
    public var customer: String
    public var url: String
    public var shareCommit: GitOID?
    public var pushed: Bool
    public var upToDate: Bool
    public var message: String?
    public var imported = ShareImport()
}

/// Publishes the seller's HEAD to every share (`folio share publish`, and `folio sync` after
/// its own push), first bringing back what the share's buyers pushed there. The projection so
/// far is kept in `.git/folio/shares/CUSTOMER.map` (a cache: the projection is a function of
/// the history, rebuilt when the file is gone).
public struct SharePublisher {
    public let repo: FolioRepository
    public init(repo: FolioRepository) { self.repo = repo }
    var git: GitRepository { repo.git }

    func mapPath(_ customer: String) -> String { git.gitDir + "/folio/shares/\(customer).map" }

    func loadMap(_ customer: String) -> [GitOID: GitOID?] {
        guard let text = try? String(contentsOfFile: mapPath(customer), encoding: .utf8) else { return [:] }
        var map: [GitOID: GitOID?] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let seller = GitOID(hex: String(fields[0])) else { continue }
            let share = GitOID(hex: String(fields[1]))
            // A cached share commit that is gone (a pruned repository) is projected again.
            if let share, (try? git.commitInfo(share)) == nil { continue }
            map[seller] = .some(share)
        }
        return map
    }

    /// Appends the entries `map` has beyond `known` (the file only grows, a line a commit).
    func saveMap(_ customer: String, _ map: [GitOID: GitOID?], known: [GitOID: GitOID?]) throws {
        let fresh = map.filter { known[$0.key] == nil }
        guard !fresh.isEmpty else { return }
        let folder = git.gitDir + "/folio/shares"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let text = fresh.map { "\($0.key.hex) \($0.value.map { $0.hex } ?? "-")\n" }.sorted().joined()
        let path = mapPath(customer)
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } catch { throw FolioError.io("\(path): \(error.localizedDescription)") }
    }

    /// The share commit for the seller's HEAD, projected from scratch (`rebuild`) or from the cache.
    public func project(customer: String, rebuild: Bool = false, changes: SellerChanges? = nil) throws -> GitOID? {
        try projection(customer: customer, rebuild: rebuild, changes: changes).commit
    }

    /// The share commit for HEAD and every share commit of the projection so far.
    func projection(customer: String, rebuild: Bool = false, changes: SellerChanges?) throws -> (commit: GitOID?, known: Set<GitOID>) {
        guard let head = try repo.head() else { return (nil, []) }
        let cached = rebuild ? [:] : loadMap(customer)
        var projector = ShareProjector(git: git, customer: customer, known: cached, changes: changes)
        let commit = try projector.project(head)
        if !rebuild { try saveMap(customer, projector.mapping, known: cached) }
        return (commit, Set(projector.mapping.values.compactMap { $0 }))
    }

    /// What a share holds and how far behind it is (`folio share list`).
    public func status(customer: String, changes: SellerChanges) throws -> ShareStatus {
        let projected = try project(customer: customer, changes: changes)
        let published = try git.resolveReference(Self.trackingRef(customer)) ?? git.resolveReference("refs/folio/shares/\(customer)")
        guard let projected else { return ShareStatus(shareCommit: nil, behind: 0, invoices: 0, orders: 0) }
        return ShareStatus(shareCommit: projected, behind: try git.walk(from: projected, hiding: published).count,
                           invoices: try git.listFiles(at: projected, under: "invoices").count, orders: try git.listFiles(at: projected, under: "orders").count)
    }

    /// What the share's branch was when this repository last looked (fetched or pushed).
    public static func trackingRef(_ customer: String) -> String { "refs/remotes/folio-share-\(customer)/main" }

    /// Publishes to `customers` (nil: every share): fetches each share, brings back what its
    /// buyers pushed there (a seller's commit by `caller`), then pushes the projection.
    /// `force` replaces a share's history with the projection (a share that holds refused
    /// commits); what the buyers pushed there is then gone from the share.
    public func publish(customers: [String]? = nil, caller: Caller, force: Bool = false) throws -> [SharePublication] {
        let shares = try repo.snapshot().shares()
        let changes = SellerChanges(git: git)
        var results: [SharePublication] = []
        for (customer, share) in shares.shares.sorted(by: { $0.key < $1.key }) where customers == nil || customers!.contains(customer) {
            var result = SharePublication(customer: customer, url: share.url, shareCommit: nil, pushed: false, upToDate: false, message: nil)
            do {
                try publish(customer: customer, url: share.url, caller: caller, force: force, changes: changes, into: &result)
            } catch {
                result.message = FolioError.wrap(error).description
            }
            results.append(result)
        }
        return results
    }

    func publish(customer: String, url: String, caller: Caller, force: Bool, changes: SellerChanges, into result: inout SharePublication) throws {
        // Ask the share where its branch is (cheap), and fetch only when buyers moved it: a
        // seller's sync asks every share, and most have not moved. Shares are reached by URL,
        // not as configured remotes: thousands of those would slow every read of the config.
        let tracking = Self.trackingRef(customer)
        let known = try git.resolveReference(tracking)
        if let tip = try git.remoteBranchTip(url: url, branch: "main"), tip != known {
            if (try? git.commitInfo(tip)) != nil {
                try git.updateRef(tracking, to: tip, expected: known, logMessage: "folio share: the share is at a commit this repository has")
            } else {
                _ = try repo.recordingLocks(remoteURL: url, remote: "folio-share-\(customer)") { try git.fetch(url: url, branch: "main", into: tracking) }
            }
        }
        result.imported = try bringBack(customer: customer, tracking: tracking, caller: caller, changes: changes)
        if !force {
            if !result.imported.findings.isEmpty {
                result.message = "refused what its buyers pushed (\(result.imported.findings.count) finding(s)); nothing was brought back or published. Once the share is set right, or to drop those commits from it: `folio share publish --force \(customer)`"
                return
            }
            if let deferred = result.imported.deferred { result.message = deferred; return }
        }
        guard let commit = try project(customer: customer, changes: changes) else {
            result.upToDate = true
            result.message = "nothing to share yet"
            return
        }
        result.shareCommit = commit
        // refs/folio/shares/CUSTOMER is what the share took last. A share that already holds
        // the projection (another seller replica published the same commits) costs nothing more.
        let published = "refs/folio/shares/\(customer)", pending = "refs/folio/shares-pending/\(customer)"
        if try git.resolveReference(tracking) == commit {
            let last = try git.resolveReference(published)
            if last != commit { try git.updateRef(published, to: commit, expected: last, logMessage: "folio share published") }
            result.upToDate = true
            result.pushed = true
            return
        }
        try git.updateRef(pending, to: commit, expected: try git.resolveReference(pending), logMessage: "folio share publish")
        let pushed = try repo.recordingLocks(remoteURL: url, remote: "folio-share-\(customer)") {
            try git.push(url: url, localRef: pending, remoteRef: "refs/heads/main", force: force)
        }
        result.pushed = pushed.accepted
        if pushed.accepted {
            try git.updateRef(published, to: commit, expected: try git.resolveReference(published), logMessage: "folio share published")
            try git.updateRef(tracking, to: commit, expected: try git.resolveReference(tracking), logMessage: "folio share published")
        } else {
            result.message = (pushed.message ?? "rejected") + "; a buyer pushed meanwhile: publish again"
        }
    }

    /// Brings back the commits the share's buyers pushed (SPEC §10): they pass the history
    /// checks against the share's own parties and settings, else nothing is brought back and
    /// the findings say why; the invoices they changed are merged into this repository by
    /// SPEC §4's rules (base: the projection they started from) in one commit by `caller`,
    /// whose trailer names the share commit it took.
    func bringBack(customer: String, tracking: String, caller: Caller, changes: SellerChanges) throws -> ShareImport {
        var result = ShareImport()
        guard let tip = try git.resolveReference(tracking) else { return result }
        return try repo.withWriteLock {
            let (projected, known) = try projection(customer: customer, changes: changes)
            guard let head = try repo.head(), let projected else { return result }
            if try git.isAncestor(tip, of: projected) { return result }
            var hidden = [projected]
            if let published = try git.resolveReference("refs/folio/shares/\(customer)") { hidden.append(published) }
            let theirs = try git.walk(from: tip, hidingAll: hidden).filter { !known.contains($0) }
            result.buyerCommits = theirs.count
            let snapshot = repo.snapshot(at: head)
            let parties = try snapshot.parties()
            // Projections are made by sellers: one this repository has not made is another
            // seller replica's, made from commits that the seller's remote brings.
            let bySellers = try theirs.filter { parties[try git.commitInfo($0).author.email.lowercased()]?.role == .seller }
            if !bySellers.isEmpty {
                result.deferred = "the share holds \(bySellers.count) commit(s) by sellers that this repository has not published (another seller replica published first): sync with the seller's remote, then again. If they stay, `folio share publish --force \(customer)` replaces them"
                return result
            }
            result.findings = try HistoryCheck(repo: repo).check(commits: theirs)
            if !result.findings.isEmpty { return result }
            let (tree, report) = try TreeMerger(git: git).merge(ours: projected, theirs: tip)
            result.report = report
            var files: [String: Data?] = [:]
            for change in try git.diff(fromTree: try git.commitInfo(projected).tree, toTree: tree) {
                let owner = try [change.newBlob, change.oldBlob].compactMap { $0 }.first.flatMap { try changes.owner($0, change.path) }
                guard DocumentPaths.parse(change.path)?.kind == .invoice, owner == customer else {
                    result.findings.append(Finding("share/scope", file: change.path, "the buyers' commits in the share of \(customer) change \(change.path), which is not one of that customer's invoices", commit: tip.hex))
                    continue
                }
                files[change.path] = .some(try change.newBlob.map { try git.readBlob($0) })
            }
            if !result.findings.isEmpty { return result }
            let actor = try repo.actor(explicit: caller.identity, environment: caller.environment, snapshot: snapshot)
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; a seller brings back what buyers pushed to a share")) }
            var commitChanges = Changes()
            commitChanges.files = files
            let conflicts = report.conflicts.isEmpty ? "" : ", \(report.conflicts.count) conflict(s) recorded"
            let message = "Bring back from the share of customer \(customer): \(theirs.count) buyer commit(s), \(files.count) invoice(s)\(conflicts)\n\n"
                + ShareImportTrailer(customer: customer, shareCommit: tip).line
            result.commit = try repo.commit(commitChanges, message: message, actor: actor, clock: caller.clock, parent: head).commit
            return result
        }
    }
}

/// What a share holds (the projection of HEAD) and how many share commits it still lacks.
public struct ShareStatus: Sendable {
    public var shareCommit: GitOID?
    public var behind: Int
    public var invoices: Int
    public var orders: Int
}

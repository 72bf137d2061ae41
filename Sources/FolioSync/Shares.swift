import Foundation
import FolioGit
import FolioModel
import FolioRepo

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
        let parents: [GitOID] = info.parents.compactMap { map[$0] ?? nil }
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
            changes[parties.path] = .some(try parties.newBlob.map { try filteredParties(git.readBlob($0)) })
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
    func filteredParties(_ data: Data) throws -> Data {
        let parties = try DocumentCodec.decode(Parties.self, data: data, schema: Schemas.parties, file: DocumentPaths.parties).0
        let kept = Parties(parties: parties.parties.filter { $0.value.role == .seller || $0.value.customerId == customer })
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

    public init(git: GitRepository) { self.git = git }

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

    /// The customer a document belongs to (`customer.id`), by blob: a customer never changes.
    func owner(_ blob: GitOID, _ path: String) throws -> String? {
        if let known = owners[blob] { return known }
        let owner = (try? DocumentCodec.parse(try git.readBlob(blob), file: path))?["customer"]?["id"]?.stringValue
        if let owner { owners[blob] = owner }
        return owner
    }
}

/// What publishing did for one share.
public struct SharePublication: Sendable {
    public var customer: String
    public var url: String
    public var shareCommit: GitOID?
    public var pushed: Bool
    public var upToDate: Bool
    public var message: String?
}

/// Publishes the seller's HEAD to every share (`folio share publish`, and `folio sync` after
/// its own push). The projection so far is kept in `.git/folio/shares/CUSTOMER.map` (a cache:
/// the projection is a function of the history, rebuilt when the file is gone).
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
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } catch { throw FolioError.io("\(path): \(error.localizedDescription)") }
    }

    /// The share commit for the seller's HEAD, projected from scratch (`rebuild`) or from the cache.
    public func project(customer: String, rebuild: Bool = false, changes: SellerChanges? = nil) throws -> GitOID? {
        guard let head = try repo.head() else { return nil }
        let known = rebuild ? [:] : loadMap(customer)
        var projector = ShareProjector(git: git, customer: customer, known: known, changes: changes)
        let commit = try projector.project(head)
        if !rebuild { try saveMap(customer, projector.mapping, known: known) }
        return commit
    }

    /// Publishes to `customers` (nil: every share).
    public func publish(customers: [String]? = nil) throws -> [SharePublication] {
        let shares = try repo.snapshot().shares()
        let changes = SellerChanges(git: git)
        var results: [SharePublication] = []
        for (customer, share) in shares.shares.sorted(by: { $0.key < $1.key }) where customers == nil || customers!.contains(customer) {
            var result = SharePublication(customer: customer, url: share.url, shareCommit: nil, pushed: false, upToDate: false, message: nil)
            guard let commit = try project(customer: customer, changes: changes) else {
                result.upToDate = true
                result.message = "nothing to share yet"
                results.append(result)
                continue
            }
            result.shareCommit = commit
            // refs/folio/shares/CUSTOMER is what the share took last: a share whose projection
            // did not move costs nothing more.
            let published = "refs/folio/shares/\(customer)", pending = "refs/folio/shares-pending/\(customer)"
            if try git.resolveReference(published) == commit {
                result.upToDate = true
                result.pushed = true
                results.append(result)
                continue
            }
            let remote = "folio-share-" + customer
            if try git.remoteURL(remote) != share.url {
                if try git.remoteURL(remote) != nil { try git.setConfig("remote.\(remote).url", share.url) } else { try git.addRemote(remote, url: share.url) }
            }
            try git.updateRef(pending, to: commit, expected: try git.resolveReference(pending), logMessage: "folio share publish")
            let pushed = try git.push(remote: remote, localRef: pending, remoteRef: "refs/heads/main")
            result.pushed = pushed.accepted
            if pushed.accepted {
                try git.updateRef(published, to: commit, expected: try git.resolveReference(published), logMessage: "folio share published")
            } else {
                result.message = (pushed.message ?? "rejected") + "; the share holds commits this repository has not projected (buyers' answers pushed there are not brought back yet)"
            }
            results.append(result)
        }
        return results
    }
}

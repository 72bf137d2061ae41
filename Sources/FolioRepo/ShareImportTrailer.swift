public import FolioGit

/// The trailer of a seller's commit that brought buyers' work back from a customer's share
/// (SPEC §10): `Folio-Share-Import: CUSTOMER SHARECOMMIT`.
///
/// The history checks read it to accept, in a seller's commit, the answers and payments that
/// the buyers of that customer signed themselves; the projection reads it to make the share
/// commit it names a parent of the next share commit, so that publishing fast-forwards.
public struct ShareImportTrailer: Equatable, Sendable {
    public static let key = "Folio-Share-Import"
    public var customer: String
    public var shareCommit: GitOID

    public init(customer: String, shareCommit: GitOID) {
        self.customer = customer
        self.shareCommit = shareCommit
    }

    /// The trailer in a commit message, if it has one.
    public init?(message: String) {
        let prefix = Self.key + ": "
        guard let line = message.split(separator: "\n").last(where: { $0.hasPrefix(prefix) }) else { return nil }
        let fields = line.dropFirst(prefix.count).split(separator: " ")
        guard fields.count == 2, let commit = GitOID(hex: String(fields[1])) else { return nil }
        self.init(customer: String(fields[0]), shareCommit: commit)
    }

    public var line: String { "\(Self.key): \(customer) \(shareCommit.hex)" }
}

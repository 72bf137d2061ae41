/// One problem found in a repository, with a stable rule id (SPEC §7), where it is and a
/// sentence a user can act on.
public struct Finding: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }
    public var rule: String
    public var severity: Severity
    public var file: String
    public var pointer: String
    public var message: String
    public var commit: String?

    public init(_ rule: String, _ severity: Severity = .error, file: String, pointer: String = "", _ message: String, commit: String? = nil) {
        self.rule = rule; self.severity = severity; self.file = file; self.pointer = pointer; self.message = message; self.commit = commit
    }

    /// `invoices/3f/a0/inv_x.json#/lines/2/unitPrice: error[amount/negative]: must be …`
    public var description: String {
        let location = pointer.isEmpty ? file : "\(file)#\(pointer)"
        let at = commit.map { " (commit \($0.prefix(10)))" } ?? ""
        return "\(location): \(severity.rawValue)[\(rule)]: \(message)\(at)"
    }
}

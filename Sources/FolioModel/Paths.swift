/// Where documents live (SPEC §1). The folder is a pure function of the id: two levels of
/// 256 folders chosen by a hash of the id keep every folder under about 1,000 entries up
/// to tens of millions of documents, so a commit rewrites three small trees whatever the
/// repository's size.
public enum DocumentKind: String, Sendable, CaseIterable {
    case invoice, order
    public var folder: String { self == .invoice ? "invoices" : "orders" }
}

public enum DocumentPaths {
    public static let config = ".folio/config.json"
    public static let parties = ".folio/parties.json"
    public static let fields = ".folio/fields.json"
    public static let shares = ".folio/shares.json"
    /// In a share only: which customer's projection this is.
    public static let shareMarker = ".folio/share.json"
    public static let seriesFolder = ".folio/series"
    public static let gitattributes = ".gitattributes"

    public static func series(_ prefix: String) -> String { "\(seriesFolder)/\(prefix).json" }
    /// The prefix a series state file's path names (the inverse of `series`), or nil.
    public static func seriesPrefix(ofPath path: String) -> String? {
        guard path.hasPrefix(seriesFolder + "/"), path.hasSuffix(".json") else { return nil }
        return String(path.dropFirst(seriesFolder.count + 1).dropLast(".json".count))
    }

    public static func path(_ kind: DocumentKind, id: String) -> String {
        let h = shardHash(id)
        return "\(kind.folder)/\(hex2(UInt8(h >> 56)))/\(hex2(UInt8((h >> 48) & 0xFF)))/\(id).json"
    }

    /// Whether `path` is one of the files Folio reads (settings or documents), where the
    /// state checks look.
    public static func isFolioPath(_ path: String) -> Bool {
        path.hasPrefix(".folio/") || path.hasPrefix("orders/") || path.hasPrefix("invoices/")
    }

    /// The id and kind a path claims, or nil when the path is not a document path at all.
    public static func parse(_ path: String) -> (kind: DocumentKind, id: String)? {
        for kind in DocumentKind.allCases where path.hasPrefix(kind.folder + "/") && path.hasSuffix(".json") {
            let name = path.split(separator: "/").last.map(String.init) ?? ""
            return (kind, String(name.dropLast(5)))
        }
        return nil
    }

    /// Ids become file names; anything that could leave its folder or confuse a shell or a
    /// file system is refused.
    public static func validateID(_ id: String) -> String? {
        if id.isEmpty { return "is empty" }
        if id.utf8.count > 100 { return "is longer than 100 characters" }
        if id.contains("/") || id.contains("\\") { return "contains a path separator; ids are file names and must stay in their folder" }
        if id.contains("..") { return "contains \"..\"; ids are file names and must stay in their folder" }
        guard let first = id.unicodeScalars.first, first.properties.isAlphabetic || ("0"..."9").contains(first) else {
            return "must start with a letter or digit"
        }
        for s in id.unicodeScalars {
            let ok = ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || s == "-" || s == "_" || s == "."
            if !ok { return "contains \"\(s)\"; ids may use letters A-Z a-z, digits, \"-\", \"_\" and \".\"" }
        }
        return nil
    }

    /// FNV-1a over the id's bytes, then a 64-bit finalizer (MurmurHash3's fmix64): FNV's
    /// high bits barely change between sequential ids ("inv-0000001", "inv-0000002"), and
    /// those are the bits that pick the first folder.
    static func shardHash(_ s: String) -> UInt64 {
        var h = fnv1a64(s)
        h ^= h >> 33
        h = h &* 0xff51afd7ed558ccd
        h ^= h >> 33
        h = h &* 0xc4ceb9fe1a85ec53
        h ^= h >> 33
        return h
    }

    /// FNV-1a, 64 bits: a stable short name for a text (ids, remote URLs, requests).
    public static func fnv1a64(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return h
    }

    private static let hexDigits = Array("0123456789abcdef")
    private static func hex2(_ b: UInt8) -> String { String([hexDigits[Int(b >> 4)], hexDigits[Int(b & 0xF)]]) }
}

/// Invoice numbers: series prefix + gapless sequence (SPEC §3, seed 001 prefix/number).
public enum Series {
    public static func format(prefix: String, sequence: Int, padding: Int) -> String {
        let digits = String(sequence)
        return prefix + "-" + String(repeating: "0", count: max(0, padding - digits.count)) + digits
    }

    public static func parse(_ number: String) -> (prefix: String, sequence: Int)? {
        guard let dash = number.lastIndex(of: "-") else { return nil }
        let prefix = String(number[..<dash])
        let digits = number[number.index(after: dash)...]
        // Only ASCII digits: Int("+5") would otherwise let "A-+5" pass as sequence 5.
        guard !prefix.isEmpty, !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let seq = Int(digits), seq > 0 else { return nil }
        return (prefix, seq)
    }

    public static func validatePrefix(_ prefix: String) -> String? {
        if prefix.isEmpty || prefix.count > 16 { return "must be 1 to 16 characters" }
        for s in prefix.unicodeScalars where !(("A"..."Z").contains(s) || ("0"..."9").contains(s)) {
            return "may use only capital letters A-Z and digits (got \"\(s)\")"
        }
        return nil
    }

    /// A seller's default series: the letters of the email's local part, capitalised.
    public static func defaultPrefix(for email: String) -> String {
        let local = email.split(separator: "@").first.map(String.init) ?? email
        let letters = local.uppercased().unicodeScalars.filter { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
        let p = String(String.UnicodeScalarView(letters.prefix(8)))
        return p.isEmpty ? "S" : p
    }
}

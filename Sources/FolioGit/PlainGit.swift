#if canImport(Glibc)
import Glibc
#endif

/// Just enough of git's on-disk layout to answer "is the index current?" without libgit2.
///
/// Why: Debian's libgit2 1.5 (mbedtls) parses the whole system CA bundle in
/// `git_libgit2_init`, about 7 ms, half of what starting folio costs at all. A `folio list`
/// whose index already reflects HEAD needs no git object, only HEAD's commit id and, when no
/// identity is given, `user.email`. Both are read here for the plain, common layouts; anything
/// else (a `.git` file, GIT_* variables, reftables, config includes, quoting…) answers nil, and
/// the caller takes the libgit2 path, which has the last word.
///
/// Written against the standard library and POSIX only: in a process that lives 15 ms,
/// Foundation's first use of URL, FileManager and CharacterSet costs more than the reads.
public enum PlainGit {
    /// The `.git` folder of the working tree that holds `path` (walking up, on one file
    /// system), or nil when it cannot be found simply.
    public static func gitDir(from path: String, environment: [String: String]) -> String? {
        // Variables that move the repository, its refs or its configuration: libgit2 may or may
        // not follow them, so their presence is reason enough to let it decide.
        let moving = ["GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_CEILING_DIRECTORIES",
                      "GIT_DISCOVERY_ACROSS_FILESYSTEM", "GIT_NAMESPACE"]
        for key in environment.keys where moving.contains(key) || key.hasPrefix("GIT_CONFIG") { return nil }
        guard var dir = realPath(path) else { return nil }
        var start = stat()
        guard stat(dir, &start) == 0 else { return nil }
        while true {
            var info = stat()
            guard stat(dir, &info) == 0, info.st_dev == start.st_dev else { return nil }
            let candidate = dir == "/" ? "/.git" : dir + "/.git"
            var dotGit = stat()
            if lstat(candidate, &dotGit) == 0 {
                // A directory holding HEAD, and not a linked worktree's: anything else is libgit2's to read.
                guard (dotGit.st_mode & S_IFMT) == S_IFDIR, access(candidate + "/HEAD", R_OK) == 0,
                      access(candidate + "/commondir", F_OK) != 0 else { return nil }
                return candidate
            }
            // A bare repository (HEAD beside objects/ and refs/) is not a plain working tree.
            if access(dir + "/HEAD", F_OK) == 0 && access(dir + "/objects", F_OK) == 0 { return nil }
            if dir == "/" { return nil }
            dir = parent(dir)
        }
    }

    /// `path` as the file system resolves it (symbolic links and ".." followed), as libgit2
    /// resolves the path it starts from and as git does after chdir(2); nil when it does not
    /// exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func parent(_ dir: String) -> String {
        guard let slash = dir.lastIndex(of: "/"), slash != dir.startIndex else { return "/" }
        return String(dir[..<slash])
    }

    /// HEAD's commit id: HEAD itself when detached, else the branch it names, from its loose
    /// ref file or from packed-refs (a loose ref wins, as in git). nil for anything else.
    public static func head(gitDir: String) -> String? {
        guard var text = read(gitDir + "/HEAD") else { return nil }
        for _ in 0..<5 {
            text = trimmed(text, where: \.isWhitespace)
            if isObjectID(text) { return text.lowercased() }
            guard text.hasPrefix("ref: ") else { return nil }
            let name = String(text.dropFirst(5))
            guard name.hasPrefix("refs/"), !name.contains(".."), !name.contains("\\"), !name.hasSuffix("/"),
                  !name.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0.hasPrefix(".") }) else { return nil }
            if let loose = read(gitDir + "/" + name) {
                text = loose
                continue
            }
            guard access(gitDir + "/" + name, F_OK) != 0 else { return nil }   // there but unreadable
            return packed(name, gitDir: gitDir)
        }
        return nil
    }

    private static func packed(_ name: String, gitDir: String) -> String? {
        guard let text = read(gitDir + "/packed-refs") else { return nil }
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("^") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[1] == name, isObjectID(String(parts[0])) { return parts[0].lowercased() }
        }
        return nil   // unborn branch, or not found: libgit2 decides
    }

    public enum Lookup: Equatable, Sendable {
        /// The value (nil: set nowhere).
        case value(String?)
        /// The files are not simple enough to be read here.
        case unsure
    }

    /// `user.email` as libgit2's repository configuration gives it: system, XDG, global, then
    /// local, the last setting winning.
    public static func userEmail(gitDir: String, environment: [String: String]) -> Lookup {
        guard let home = environment["HOME"], !home.isEmpty else { return .unsure }
        let xdg = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.config"
        var result: String?
        for file in ["/etc/gitconfig", xdg + "/git/config", home + "/.gitconfig", gitDir + "/config"] {
            guard access(file, F_OK) == 0 else { continue }
            guard let text = read(file) else { return .unsure }
            switch scan(text) {
            case .unsure: return .unsure
            case .value(let v?): result = v
            case .value(nil): break
            }
        }
        return .value(result)
    }

    /// The last `email` of a plain `[user]` section; unsure at the first thing that is not
    /// plain: includes, worktree config, quotes, escapes, continuations, comments in a value.
    static func scan(_ text: String) -> Lookup {
        // A byte-order mark (Windows editors write one) is skipped by git and libgit2; what
        // follows is theirs to read.
        if text.hasPrefix("\u{FEFF}") { return .unsure }
        return text.utf8.allSatisfy({ $0 < 0x80 }) ? scanASCII(Array(text.utf8)) : scanCharacters(text)
    }

    static func scanCharacters(_ text: String) -> Lookup {
        let lower = text.lowercased()
        if lower.contains("include") || lower.contains("worktreeconfig") { return .unsure }
        var inUser = false
        var found: String?
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = trimmed(raw, where: isBlank)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard let close = line.firstIndex(of: "]") else { return .unsure }
                let header = trimmed(line[line.index(after: line.startIndex)..<close], where: isBlank)
                inUser = header.lowercased() == "user"
                line = trimmed(line[line.index(after: close)...], where: isBlank)
                if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
                if !inUser { continue }
            }
            guard inUser else { continue }
            // A line without a name ("=x") is an error to git: not ours to read.
            if line.hasPrefix("=") { return .unsure }
            let parts = line.split(separator: "=", maxSplits: 1)
            let key = trimmed(parts[0], where: isBlank).lowercased()
            guard key == "email" else { continue }
            guard parts.count == 2 else { return .unsure }
            let value = trimmed(parts[1], where: isBlank)
            if value.contains(where: { "\"\\#;".contains($0) }) { return .unsure }
            found = value
        }
        return .value(found)
    }

    /// `scan` for ASCII text, byte by byte (a config file read through Characters costs a
    /// measurable part of a `folio list`). The same rules; the tests hold the two together.
    static func scanASCII(_ text: [UInt8]) -> Lookup {
        func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 0x20 : b }
        func has(_ word: String) -> Bool {
            let w = Array(word.utf8)
            guard text.count >= w.count else { return false }
            return (0...(text.count - w.count)).contains { i in w.indices.allSatisfy { lower(text[i + $0]) == w[$0] } }
        }
        if has("include") || has("worktreeconfig") { return .unsure }
        func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        func trim(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
            var s = s
            while let f = s.first, isBlank(f) { s.removeFirst() }
            while let l = s.last, isBlank(l) { s.removeLast() }
            return s
        }
        func isComment(_ s: ArraySlice<UInt8>) -> Bool { s.first == UInt8(ascii: "#") || s.first == UInt8(ascii: ";") }
        var inUser = false
        var found: String?
        // Lines end at "\n"; a "\r\n" pair is one Character in `scanCharacters`, so a lone
        // "\r" (not followed by "\n") is not a line end there either: it stays in the line.
        for raw in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            var raw = raw
            if raw.last == UInt8(ascii: "\r"), raw.endIndex < text.endIndex { raw.removeLast() }
            var line = trim(raw)
            if line.isEmpty || isComment(line) { continue }
            if line.first == UInt8(ascii: "[") {
                guard let close = line.firstIndex(of: UInt8(ascii: "]")) else { return .unsure }
                let header = trim(line[(line.startIndex + 1)..<close])
                inUser = header.map(lower) == Array("user".utf8)
                line = trim(line[(close + 1)...])
                if line.isEmpty || isComment(line) { continue }
                if !inUser { continue }
            }
            guard inUser else { continue }
            // As `split(separator: "=", maxSplits: 1)` in `scan`: empty pieces are dropped.
            if line.first == UInt8(ascii: "=") { return .unsure }   // as in `scanCharacters`
            var parts = [line]
            if let equals = line.firstIndex(of: UInt8(ascii: "=")) { parts = [line[..<equals], line[(equals + 1)...]].filter { !$0.isEmpty } }
            guard let first = parts.first, trim(first).map(lower) == Array("email".utf8) else { continue }
            guard parts.count == 2 else { return .unsure }
            let value = trim(parts[1])
            if value.contains(where: { [UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "#"), UInt8(ascii: ";")].contains($0) }) { return .unsure }
            found = String(decoding: value, as: UTF8.self)
        }
        return .value(found)
    }

    /// Foundation's CharacterSet.whitespaces: tabs and space separators (not line breaks).
    static func isBlank(_ c: Character) -> Bool {
        c == "\t" || c.unicodeScalars.allSatisfy { $0.properties.generalCategory == .spaceSeparator }
    }

    static func trimmed<S: StringProtocol>(_ s: S, where drop: (Character) -> Bool) -> String {
        guard let first = s.firstIndex(where: { !drop($0) }), let last = s.lastIndex(where: { !drop($0) }) else { return "" }
        return String(s[first...last])
    }

    /// The file's text, nil when it cannot be read or is not UTF-8.
    private static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[..<n])
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func isObjectID(_ s: String) -> Bool {
        s.utf8.count == 40 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }
    }
}

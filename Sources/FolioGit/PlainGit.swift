import Foundation

/// Just enough of git's on-disk layout to answer "is the index current?" without libgit2.
///
/// Why: Debian's libgit2 1.5 (mbedtls) parses the whole system CA bundle in
/// `git_libgit2_init`, about 7 ms, half of what starting folio costs at all. A `folio list`
/// whose index already reflects HEAD needs no git object, only HEAD's commit id and, when no
/// identity is given, `user.email`. Both are read here for the plain, common layouts; anything
/// else (a `.git` file, GIT_* variables, reftables, config includes, quoting…) answers nil, and
/// the caller takes the libgit2 path, which has the last word.
public enum PlainGit {
    /// The `.git` folder of the working tree that holds `path` (walking up, on one file
    /// system), or nil when it cannot be found simply.
    public static func gitDir(from path: String, environment: [String: String]) -> String? {
        // Variables that move the repository, its refs or its configuration: libgit2 may or may
        // not follow them, so their presence is reason enough to let it decide.
        let moving = ["GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_CEILING_DIRECTORIES",
                      "GIT_DISCOVERY_ACROSS_FILESYSTEM", "GIT_NAMESPACE"]
        for key in environment.keys where moving.contains(key) || key.hasPrefix("GIT_CONFIG") { return nil }
        var dir = URL(fileURLWithPath: path).standardizedFileURL.path
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
            dir = (dir as NSString).deletingLastPathComponent
        }
    }

    /// HEAD's commit id: HEAD itself when detached, else the branch it names, from its loose
    /// ref file or from packed-refs (a loose ref wins, as in git). nil for anything else.
    public static func head(gitDir: String) -> String? {
        guard var text = read(gitDir + "/HEAD") else { return nil }
        for _ in 0..<5 {
            text = text.trimmingCharacters(in: .whitespacesAndNewlines)
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
        let lower = text.lowercased()
        if lower.contains("include") || lower.contains("worktreeconfig") { return .unsure }
        var inUser = false
        var found: String?
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard let close = line.firstIndex(of: "]") else { return .unsure }
                let header = line[line.index(after: line.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                inUser = header.lowercased() == "user"
                line = String(line[line.index(after: close)...]).trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
                if !inUser { continue }
            }
            guard inUser else { continue }
            let parts = line.split(separator: "=", maxSplits: 1)
            let key = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
            guard key == "email" else { continue }
            guard parts.count == 2 else { return .unsure }
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            if value.contains(where: { "\"\\#;".contains($0) }) { return .unsure }
            found = value
        }
        return .value(found)
    }

    private static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    private static func isObjectID(_ s: String) -> Bool {
        s.utf8.count == 40 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }
    }
}

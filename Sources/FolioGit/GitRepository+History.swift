import CLibgit2

extension GitRepository {
    /// History of one file: the commits reachable from `from`, newest first (children before parents,
    /// then by commit time), whose blob at `path` differs from that of every parent (a root commit:
    /// whenever the file exists). Unlike `git log -- path`, no side of a merge is pruned, so a change
    /// made on a branch whose version a merge did not keep is still listed; a merge is listed when
    /// its result matches none of its parents (the merge combined changes).
    /// `blob` is nil in a commit that deleted the file.
    /// With `hiding`: only the commits not reachable from those (the commits since a merge base).
    public func log(path: String, from: GitOID, hiding: [GitOID] = []) throws -> [(commit: GitCommitInfo, blob: GitOID?)] {
        _ = try pathComponents(path)
        var blobByCommit: [GitOID: GitOID?] = [:]
        func blob(in commit: GitOID) throws -> GitOID? {
            if let known = blobByCommit[commit] { return known }
            let found = try blobID(path: path, inTree: treeID(ofCommit: commit))
            blobByCommit[commit] = found
            return found
        }

        var history: [(commit: GitCommitInfo, blob: GitOID?)] = []
        try walkCommits(from: from, hiding: hiding, sorting: GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue) { id in
            let parents = try withCommit(id) { commit in
                (0..<git_commit_parentcount(commit)).map { GitOID(git_commit_parent_id(commit, $0)) }
            }
            let mine = try blob(in: id)
            let changed = parents.isEmpty ? mine != nil : try parents.allSatisfy { try blob(in: $0) != mine }
            if changed { history.append((try commitInfo(id), mine)) }
        }
        return history
    }

    /// Commits reachable from `from` but not from `hiding`, oldest first (parents before children,
    /// then by commit time).
    public func walk(from: GitOID, hiding: GitOID?) throws -> [GitOID] {
        var commits: [GitOID] = []
        try walkCommits(from: from, hiding: hiding.map { [$0] } ?? [],
                        sorting: GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue | GIT_SORT_REVERSE.rawValue) {
            commits.append($0)
        }
        return commits
    }

    /// Commits reachable from `from` but from none of `hidingAll`, oldest first.
    public func walk(from: GitOID, hidingAll: [GitOID]) throws -> [GitOID] {
        var commits: [GitOID] = []
        try walkCommits(from: from, hiding: hidingAll,
                        sorting: GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue | GIT_SORT_REVERSE.rawValue) {
            commits.append($0)
        }
        return commits
    }

    /// The newest `limit` commits reachable from `from`, newest first (by commit time).
    public func newestCommits(from: GitOID, limit: Int) throws -> [GitOID] {
        struct Enough: Error {}
        var commits: [GitOID] = []
        do {
            try walkCommits(from: from, hiding: [], sorting: GIT_SORT_TIME.rawValue) {
                commits.append($0)
                if commits.count >= limit { throw Enough() }
            }
        } catch is Enough {}
        return commits
    }

    private func walkCommits(from: GitOID, hiding: [GitOID], sorting: UInt32, _ visit: (GitOID) throws -> Void) throws {
        var walker: OpaquePointer?
        try check(git_revwalk_new(&walker, pointer), "start history walk")
        defer { git_revwalk_free(walker) }
        try check(git_revwalk_sorting(walker, sorting), "sort history walk")
        var start = from.raw
        let code = git_revwalk_push(walker, &start)
        if code == notFoundCode { throw GitError.notFound("commit \(from)") }
        try check(code, "walk from \(from)")
        for hidden in hiding {
            var raw = hidden.raw
            let code = git_revwalk_hide(walker, &raw)
            if code == notFoundCode { throw GitError.notFound("commit \(hidden)") }
            try check(code, "hide \(hidden)")
        }
        var next = git_oid()
        while true {
            let code = git_revwalk_next(&next, walker)
            if code == GIT_ITEROVER.rawValue { return }
            try check(code, "walk history")
            try visit(GitOID(next))
        }
    }

    /// All best common ancestors of two commits (two or more after criss-cross merges); empty when unrelated.
    public func mergeBases(_ a: GitOID, _ b: GitOID) throws -> [GitOID] {
        var one = a.raw, two = b.raw
        var bases = git_oidarray()
        let code = git_merge_bases(&bases, pointer, &one, &two)
        if code == notFoundCode { return [] }
        try check(code, "find merge bases of \(a) and \(b)")
        defer { git_oidarray_dispose(&bases) }
        return (0..<bases.count).map { GitOID(bases.ids[$0]) }
    }
}

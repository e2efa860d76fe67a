/// A line diff (longest common subsequence) printed as unified-diff hunks.
public enum LineDiff {
    public enum Edit: Equatable {
        case same(Int, Int)      // index in old, index in new
        case removed(Int)        // index in old
        case added(Int)          // index in new
    }

    /// The edits turning `old` into `new`, comparing lines through `key`.
    public static func edits(_ old: [String], _ new: [String], key: (String) -> String = { $0 }) -> [Edit] {
        let a = old.map(key), b = new.map(key)
        let n = a.count, m = b.count
        // lcs[i][j]: length of the LCS of a[i...] and b[j...].
        var lcs = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        if n > 0 && m > 0 {
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
                }
            }
        }
        var edits: [Edit] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n && j < m && a[i] == b[j] { edits.append(.same(i, j)); i += 1; j += 1 }
            else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) { edits.append(.removed(i)); i += 1 }
            else { edits.append(.added(j)); j += 1 }
        }
        return edits
    }

    /// Unified-diff hunks (`@@ -L,n +l,m @@`, then ` `, `-`, `+` lines) with
    /// `context` unchanged lines around each change. Old line numbers start at
    /// `oldFirstLine` (the notebook line of the expected output), new ones at 1.
    public static func hunks(_ old: [String], _ new: [String], oldFirstLine: Int = 1, context: Int = 2,
                             key: (String) -> String = { $0 }) -> String {
        let edits = edits(old, new, key: key)
        let changed = edits.indices.filter { if case .same = edits[$0] { return false } else { return true } }
        guard !changed.isEmpty else { return "" }
        // Group changes whose context windows overlap.
        var groups: [(Int, Int)] = []
        for c in changed {
            let lo = max(0, c - context), hi = min(edits.count - 1, c + context)
            if let last = groups.last, lo <= last.1 + 1 { groups[groups.count - 1].1 = hi } else { groups.append((lo, hi)) }
        }
        var out = ""
        for (lo, hi) in groups {
            let slice = edits[lo...hi]
            // Where the hunk starts in old and new, counting edits before it.
            var oldStart = 0, newStart = 0
            for e in edits[..<lo] {
                switch e {
                case .same: oldStart += 1; newStart += 1
                case .removed: oldStart += 1
                case .added: newStart += 1
                }
            }
            let oldCount = slice.filter { if case .added = $0 { return false } else { return true } }.count
            let newCount = slice.filter { if case .removed = $0 { return false } else { return true } }.count
            out += "@@ -\(oldStart + oldFirstLine),\(oldCount) +\(newStart + 1),\(newCount) @@\n"
            for e in slice {
                switch e {
                case .same(let i, _): out += " " + old[i] + "\n"
                case .removed(let i): out += "-" + old[i] + "\n"
                case .added(let j): out += "+" + new[j] + "\n"
                }
            }
        }
        return out
    }
}

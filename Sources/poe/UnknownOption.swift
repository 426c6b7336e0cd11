import ArgumentParser

/// ArgumentParser reports a missing required option before an unknown one, so a typo in a
/// required flag (`poe submit --kye k --code c`) was reported as "Missing expected argument
/// '--key'", naming the flag the user did type rather than the one they mistyped. When
/// parsing fails, this names the first long option the command does not have, and the
/// nearest one it does.
struct UnknownOption {
    /// What to print: the error, the usage of the command it was given to, where help is.
    let message: String

    /// The first word of `arguments` that looks like a long option and is not one of the
    /// command it was given to, or nil when every one is known (the parse error then
    /// stands as ArgumentParser reported it).
    static func first(in arguments: [String], root: any ParsableCommand.Type) -> UnknownOption? {
        var command = root
        var path = [root.configuration.commandName ?? "poe"]
        var words = arguments[...]
        while let word = words.first,
            let subcommand = command.configuration.subcommands.first(where: { $0.configuration.commandName == word })
        {
            command = subcommand
            path.append(word)
            words = words.dropFirst()
        }
        // A word that names no subcommand is ArgumentParser's to report.
        guard command.configuration.subcommands.isEmpty else { return nil }
        let known = longOptions(in: root.helpMessage(for: command, includeHidden: true, columns: 10_000))
        for word in words {
            if word == "--" { break }
            guard word.hasPrefix("--"), word.count > 2 else { continue }
            let name = String(word.prefix { $0 != "=" })
            guard !known.contains(name) else { continue }
            let nearest = known.sorted().min { editDistance(name, $0) < editDistance(name, $1) }
            var message = "Error: Unknown option '\(name)'"
            if let nearest, editDistance(name, nearest) <= max(2, name.count / 3) {
                message += " (did you mean '\(nearest)'?)"
            }
            message += "\nUsage: \(root.usageString(for: command))"
            message += "\n  See '\(path.joined(separator: " ")) --help' for more information."
            return UnknownOption(message: message)
        }
        return nil
    }

    /// Every `--name` that the help text shows (options, flags and their inversions).
    private static func longOptions(in help: String) -> Set<String> {
        var names: Set<String> = ["--help"]
        var current = ""
        for character in help + " " {
            if character.isLetter || character.isNumber || character == "-" {
                current.append(character)
                continue
            }
            if current.hasPrefix("--"), current.count > 2 { names.insert(current) }
            current = ""
        }
        return names
    }

    /// Edit distance with a swap of two neighbours as one edit (optimal string alignment):
    /// `--kye` is one edit from `--key`, two from `--fee`.
    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}

/// The public face of the simulator: one seed, or many.
public enum Simulator {
    /// Runs one seed. The same options give the same result, bit for bit.
    public static func run(_ options: SimOptions) -> SimResult {
        Simulation(options: options).run()
    }

    /// Runs `count` consecutive seeds from `firstSeed`, alternating n over `replicaCounts`.
    public static func runMany(
        firstSeed: UInt64, count: Int, replicaCounts: [Int], configure: (inout SimOptions) -> Void = { _ in },
        onResult: (SimResult) -> Void = { _ in }
    ) -> [SimResult] {
        precondition(!replicaCounts.isEmpty, "need at least one cluster size")
        var results: [SimResult] = []
        for offset in 0..<count {
            var options = SimOptions(seed: firstSeed &+ UInt64(offset), replicaCount: replicaCounts[offset % replicaCounts.count])
            configure(&options)
            let result = run(options)
            onResult(result)
            results.append(result)
        }
        return results
    }
}
